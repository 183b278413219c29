//! The `block_root:epoch` weak-subjectivity checkpoint string.

use std::fmt;
use std::str::FromStr;

/// A weak-subjectivity checkpoint: a block root and the epoch whose boundary it belongs to.
///
/// Its text form is the spec's "Weak Subjectivity Sync Procedure" CLI format, also Nimbus's
/// `--weak-subjectivity-checkpoint`: `0x` + 64 hex digits, `:`, a decimal epoch, e.g.
/// `0x8584188b86a9296932785cc2827b925f9deebacce6d72ad8d53171fa046b43d9:9544`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WsCheckpoint {
    /// The checkpoint block's root (`hash_tree_root` of its `BeaconBlock`).
    pub root: [u8; 32],
    /// The checkpoint's epoch.
    pub epoch: u64,
}

/// What is wrong with a checkpoint string. Positions are 0-based character indices into the
/// whole input. The input is user-typed, so the fix is always to correct the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointParseError {
    /// The input is empty.
    Empty,
    /// The input contains a whitespace character; none is allowed anywhere.
    Whitespace {
        /// Where the first whitespace character is.
        position: usize,
    },
    /// There is no `:` between the root and the epoch.
    MissingColon,
    /// There is more than one `:`.
    ExtraColon {
        /// Where the second `:` is.
        position: usize,
    },
    /// The root does not start with `0x`.
    MissingHexPrefix {
        /// The root part as given.
        got: String,
    },
    /// The root does not have exactly 64 hex digits after `0x`.
    RootWrongLength {
        /// How many characters follow `0x` before the `:`.
        got: usize,
    },
    /// A character of the root is not a hex digit.
    NonHexCharacter {
        /// Where the character is.
        position: usize,
        /// The character.
        character: char,
    },
    /// Nothing follows the `:`.
    EmptyEpoch,
    /// The epoch starts with `+` or `-`; it must be a plain decimal number.
    SignedEpoch {
        /// The sign character.
        sign: char,
    },
    /// The epoch has a leading zero (`007`): ambiguous in some tools (octal), so refused.
    LeadingZero,
    /// A character of the epoch is not a decimal digit.
    NonDecimalCharacter {
        /// Where the character is.
        position: usize,
        /// The character.
        character: char,
    },
    /// The epoch is larger than the largest `uint64`.
    EpochOverflow {
        /// The epoch as given.
        got: String,
    },
}

impl fmt::Display for CheckpointParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHAPE: &str = "expected `0x<64 hex digits>:<decimal epoch>`";
        match self {
            Self::Empty => write!(f, "{SHAPE}, got an empty string"),
            Self::Whitespace { position } => {
                write!(f, "{SHAPE}, got whitespace at position {position}")
            }
            Self::MissingColon => write!(f, "{SHAPE}, got no `:` separating root and epoch"),
            Self::ExtraColon { position } => {
                write!(f, "{SHAPE}, got a second `:` at position {position}")
            }
            Self::MissingHexPrefix { got } => {
                write!(
                    f,
                    "{SHAPE}: expected the root to start with `0x`, got {got:?}"
                )
            }
            Self::RootWrongLength { got } => write!(
                f,
                "{SHAPE}: expected 64 hex digits after `0x`, got {got} characters"
            ),
            Self::NonHexCharacter {
                position,
                character,
            } => write!(
                f,
                "{SHAPE}: expected a hex digit at position {position}, got {character:?}"
            ),
            Self::EmptyEpoch => write!(f, "{SHAPE}: expected an epoch after `:`, got nothing"),
            Self::SignedEpoch { sign } => write!(
                f,
                "{SHAPE}: expected an unsigned decimal epoch, got a leading {sign:?}"
            ),
            Self::LeadingZero => write!(
                f,
                "{SHAPE}: expected an epoch without leading zeros, got a leading `0`"
            ),
            Self::NonDecimalCharacter {
                position,
                character,
            } => write!(
                f,
                "{SHAPE}: expected a decimal digit at position {position}, got {character:?}"
            ),
            Self::EpochOverflow { got } => write!(
                f,
                "{SHAPE}: expected an epoch at most {}, got {got}",
                u64::MAX
            ),
        }
    }
}

impl std::error::Error for CheckpointParseError {}

impl WsCheckpoint {
    /// Parses `0x<64 hex>:<decimal epoch>` strictly: no whitespace, exactly one `:`, a `0x`
    /// prefix, exactly 64 hex digits (either case), and an unsigned decimal epoch that fits in
    /// `uint64` without leading zeros. The first problem found, left to right, is reported.
    pub fn parse(input: &str) -> Result<WsCheckpoint, CheckpointParseError> {
        if input.is_empty() {
            return Err(CheckpointParseError::Empty);
        }
        let chars: Vec<char> = input.chars().collect();
        if let Some(position) = chars.iter().position(|c| c.is_whitespace()) {
            return Err(CheckpointParseError::Whitespace { position });
        }
        let mut colons = chars
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == ':')
            .map(|(i, _)| i);
        let colon = colons.next().ok_or(CheckpointParseError::MissingColon)?;
        if let Some(position) = colons.next() {
            return Err(CheckpointParseError::ExtraColon { position });
        }
        let root_part = &chars[..colon];
        let epoch_part = &chars[colon + 1..];

        if root_part.len() < 2 || root_part[0] != '0' || root_part[1] != 'x' {
            return Err(CheckpointParseError::MissingHexPrefix {
                got: root_part.iter().collect(),
            });
        }
        let digits = &root_part[2..];
        if let Some(offset) = digits.iter().position(|c| !c.is_ascii_hexdigit()) {
            return Err(CheckpointParseError::NonHexCharacter {
                position: 2 + offset,
                character: digits[offset],
            });
        }
        if digits.len() != 64 {
            return Err(CheckpointParseError::RootWrongLength { got: digits.len() });
        }
        let mut root = [0u8; 32];
        for (i, pair) in digits.chunks_exact(2).enumerate() {
            // Both are ASCII hex digits (checked above), so to_digit cannot fail.
            let hi = pair[0].to_digit(16).unwrap_or(0) as u8;
            let lo = pair[1].to_digit(16).unwrap_or(0) as u8;
            root[i] = hi << 4 | lo;
        }

        let epoch_start = colon + 1;
        match epoch_part.first() {
            None => return Err(CheckpointParseError::EmptyEpoch),
            Some(&sign @ ('+' | '-')) => return Err(CheckpointParseError::SignedEpoch { sign }),
            _ => {}
        }
        if let Some(offset) = epoch_part.iter().position(|c| !c.is_ascii_digit()) {
            return Err(CheckpointParseError::NonDecimalCharacter {
                position: epoch_start + offset,
                character: epoch_part[offset],
            });
        }
        if epoch_part.len() > 1 && epoch_part[0] == '0' {
            return Err(CheckpointParseError::LeadingZero);
        }
        let epoch_text: String = epoch_part.iter().collect();
        let epoch = epoch_text
            .parse::<u64>()
            .map_err(|_| CheckpointParseError::EpochOverflow { got: epoch_text })?;
        Ok(WsCheckpoint { root, epoch })
    }
}

impl FromStr for WsCheckpoint {
    type Err = CheckpointParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WsCheckpoint::parse(s)
    }
}

/// Formats as `0x<64 lower-case hex>:<epoch>`, which [`WsCheckpoint::parse`] reads back.
impl fmt::Display for WsCheckpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}:{}", hex::encode(self.root), self.epoch)
    }
}
