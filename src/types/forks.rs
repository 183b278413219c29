//! The fork order as `macro_rules!` tables, and [`fork_container!`]: a container family declared
//! once, with the fields each fork added, removed or retyped, expanded into one struct per fork.
//!
//! Why a macro and not hand-written structs: the consensus specs change a container by adding,
//! removing or retyping a few fields, and seven hand copies of `BeaconState` drift apart silently.
//! Why not a generic struct: SSZ layouts and hash tree roots depend on the exact field list, so
//! each fork needs its own concrete type for `ssz_derive`/`tree_hash_derive`.
//!
//! A family names the forks at which it changed (`in [Phase0 Electra]`). At those forks the fork's
//! module gets a struct whose fields are those whose range covers the fork; at later forks the
//! module re-exports the previous fork's type, so `deneb::BeaconBlockHeader` and
//! `phase0::BeaconBlockHeader` stay one type. A field (or a `{ ... }` group of fields) tagged
//! `[Altair..]` exists from Altair on, `[Phase0..Altair]` only before Altair; untagged fields exist
//! in every version. Field types are written as the spec writes them and resolve in the fork's
//! module, so `ExecutionPayloadHeader<P>` in `BeaconState` is Capella's header in
//! `capella::BeaconState` and Deneb's in `deneb::BeaconState`.
//!
//! Every generated struct also implements [`SszSchema`](super::SszSchema), so the byte-level
//! merkleizer's schema comes from the same declaration, as a constant (no code builds it). Adding a fork means one line in each
//! table below, its module in `types/mod.rs`, and its new or changed fields in `containers.rs`.

/// `fork_le!(A, B, { yes } { no })` expands to `yes` when fork `A` is `B` or activates before it,
/// else to `no`. Two rules per fork, in activation order.
macro_rules! fork_le {
    (Phase0, $b:ident, {$($y:tt)*} {$($n:tt)*}) => { $($y)* };
    ($a:ident, Phase0, {$($y:tt)*} {$($n:tt)*}) => { $($n)* };
    (Altair, $b:ident, {$($y:tt)*} {$($n:tt)*}) => { $($y)* };
    ($a:ident, Altair, {$($y:tt)*} {$($n:tt)*}) => { $($n)* };
    (Bellatrix, $b:ident, {$($y:tt)*} {$($n:tt)*}) => { $($y)* };
    ($a:ident, Bellatrix, {$($y:tt)*} {$($n:tt)*}) => { $($n)* };
    (Capella, $b:ident, {$($y:tt)*} {$($n:tt)*}) => { $($y)* };
    ($a:ident, Capella, {$($y:tt)*} {$($n:tt)*}) => { $($n)* };
    (Deneb, $b:ident, {$($y:tt)*} {$($n:tt)*}) => { $($y)* };
    ($a:ident, Deneb, {$($y:tt)*} {$($n:tt)*}) => { $($n)* };
    (Electra, $b:ident, {$($y:tt)*} {$($n:tt)*}) => { $($y)* };
    ($a:ident, Electra, {$($y:tt)*} {$($n:tt)*}) => { $($n)* };
    (Fulu, $b:ident, {$($y:tt)*} {$($n:tt)*}) => { $($y)* };
    ($a:ident, Fulu, {$($y:tt)*} {$($n:tt)*}) => { $($n)* };
    (Gloas, $b:ident, {$($y:tt)*} {$($n:tt)*}) => { $($y)* };
    ($a:ident, Gloas, {$($y:tt)*} {$($n:tt)*}) => { $($n)* };
}

/// `fork_known!(A B ...)` expands to nothing when every name is a fork of the tables above, and
/// to a compile error otherwise (a misspelt fork would otherwise silently drop a field).
macro_rules! fork_known {
    () => {};
    (Phase0 $($rest:ident)*) => { $crate::types::forks::fork_known!($($rest)*); };
    (Altair $($rest:ident)*) => { $crate::types::forks::fork_known!($($rest)*); };
    (Bellatrix $($rest:ident)*) => { $crate::types::forks::fork_known!($($rest)*); };
    (Capella $($rest:ident)*) => { $crate::types::forks::fork_known!($($rest)*); };
    (Deneb $($rest:ident)*) => { $crate::types::forks::fork_known!($($rest)*); };
    (Electra $($rest:ident)*) => { $crate::types::forks::fork_known!($($rest)*); };
    (Fulu $($rest:ident)*) => { $crate::types::forks::fork_known!($($rest)*); };
    (Gloas $($rest:ident)*) => { $crate::types::forks::fork_known!($($rest)*); };
    ($other:ident $($rest:ident)*) => {
        compile_error!(concat!("not a fork: ", stringify!($other)));
    };
}

/// `fork_in!(F, [A B ...], { yes } { no })`: `yes` when `F` is one of the listed forks.
macro_rules! fork_in {
    ($f:ident, [], {$($y:tt)*} {$($n:tt)*}) => { $($n)* };
    ($f:ident, [$head:ident $($tail:ident)*], $y:tt $n:tt) => {
        $crate::types::forks::fork_le! { $head, $f,
            { $crate::types::forks::fork_le! { $f, $head,
                $y
                { $crate::types::forks::fork_in!($f, [$($tail)*], $y $n); }
            } }
            { $crate::types::forks::fork_in!($f, [$($tail)*], $y $n); }
        }
    };
}

/// Declares one container family for the fork module it is expanded in; see the module docs.
///
/// ```text
/// fork_container! { Capella, bellatrix;
///     #[derive(...)]
///     pub struct Name<P> in [Bellatrix Capella] until Gloas progressive [Fulu] {  // both optional
///         field: Type,
///         [Capella..] new_field: Type,
///     }
///     impl { impl<P: Preset> Name<P> { ... } }   // optional, emitted with each version
/// }
/// ```
macro_rules! fork_container {
    // Every field sorted: the struct, its schema, and the family's methods.
    (@munch $fork:ident; $attrs:tt; $name:ident $(<$p:ident>)?; $impl:tt; [$($done:tt)*];) => {
        $crate::types::forks::fork_container! { @emit $attrs; $name $(<$p>)?; $impl; $($done)* }
    };
    // A group of fields with a fork range.
    (@munch $fork:ident; $attrs:tt; $name:ident $(<$p:ident>)?; $impl:tt; $done:tt;
        [$since:ident .. $($until:ident)?] { $($group:tt)* } $($rest:tt)*) => {
        $crate::types::forks::fork_container! { @range $fork; $attrs; $name $(<$p>)?; $impl; $done;
            [$since $($until)?] { $($group)* } $($rest)* }
    };
    // One field with a fork range.
    (@munch $fork:ident; $attrs:tt; $name:ident $(<$p:ident>)?; $impl:tt; $done:tt;
        [$since:ident .. $($until:ident)?] $(#[$m:meta])* $field:ident : $ty:ty, $($rest:tt)*) => {
        $crate::types::forks::fork_container! { @range $fork; $attrs; $name $(<$p>)?; $impl; $done;
            [$since $($until)?] { $(#[$m])* $field: $ty, } $($rest)* }
    };
    // A field of every version.
    (@munch $fork:ident; $attrs:tt; $name:ident $(<$p:ident>)?; $impl:tt; [$($done:tt)*];
        $(#[$m:meta])* $field:ident : $ty:ty, $($rest:tt)*) => {
        $crate::types::forks::fork_container! { @munch $fork; $attrs; $name $(<$p>)?; $impl;
            [$($done)* { $(#[$m])* $field: $ty }]; $($rest)* }
    };
    // Keeps `body` when `fork` is in `[since, until)`.
    (@range $fork:ident; $attrs:tt; $name:ident $(<$p:ident>)?; $impl:tt; $done:tt;
        [$since:ident $($until:ident)?] { $($body:tt)* } $($rest:tt)*) => {
        $crate::types::forks::fork_known!($since $($until)?);
        $crate::types::forks::fork_le! { $since, $fork,
            { $crate::types::forks::fork_container! { @until $fork; $attrs; $name $(<$p>)?; $impl;
                $done; [$($until)?] { $($body)* } $($rest)* } }
            { $crate::types::forks::fork_container! { @munch $fork; $attrs; $name $(<$p>)?; $impl;
                $done; $($rest)* } }
        }
    };
    (@until $fork:ident; $attrs:tt; $name:ident $(<$p:ident>)?; $impl:tt; $done:tt;
        [] { $($body:tt)* } $($rest:tt)*) => {
        $crate::types::forks::fork_container! { @munch $fork; $attrs; $name $(<$p>)?; $impl; $done;
            $($body)* $($rest)* }
    };
    (@until $fork:ident; $attrs:tt; $name:ident $(<$p:ident>)?; $impl:tt; $done:tt;
        [$until:ident] { $($body:tt)* } $($rest:tt)*) => {
        $crate::types::forks::fork_le! { $until, $fork,
            { $crate::types::forks::fork_container! { @munch $fork; $attrs; $name $(<$p>)?; $impl;
                $done; $($rest)* } }
            { $crate::types::forks::fork_container! { @munch $fork; $attrs; $name $(<$p>)?; $impl;
                $done; $($body)* $($rest)* } }
        }
    };
    // A progressive version: the struct, its schema and its `TreeHash` come from
    // `progressive_container!`, with every field active (`[1] * n`, as the spec writes them).
    (@emit { @progressive $($attr:tt)* }; $name:ident $(<$p:ident>)?; { $($impl:tt)* };
        $({ $(#[$m:meta])* $field:ident : $ty:ty })*) => {
        $crate::progressive_container! {
            $($attr)*
            pub struct $name $(<$p>)? active_fields all { $($(#[$m])* $field: $ty,)* }
        }

        $($impl)*
    };
    (@emit { $($attr:tt)* }; $name:ident $(<$p:ident>)?; { $($impl:tt)* };
        $({ $(#[$m:meta])* $field:ident : $ty:ty })*) => {
        $($attr)*
        pub struct $name $(<$p: $crate::types::Preset>)? {
            $($(#[$m])* pub $field: $ty,)*
        }

        impl $(<$p: $crate::types::Preset>)? $crate::types::SszSchema for $name $(<$p>)? {
            const SSZ_TYPE: $crate::types::SszType =
                $crate::types::SszType::Container(&$crate::types::ContainerType {
                    name: stringify!($name),
                    fields: &[$((stringify!($field), <$ty as $crate::types::SszSchema>::SSZ_TYPE),)*],
                });
        }

        $($impl)*
    };
    // Which kind of struct `fork` gets: as declared, or (with `progressive [F]`) a plain
    // container with a derived `TreeHash` before F and a `ProgressiveContainer` from F on.
    (@kind $fork:ident; []; { $($attr:tt)* }; $($rest:tt)*) => {
        $crate::types::forks::fork_container! { @munch $fork; { $($attr)* }; $($rest)* }
    };
    (@kind $fork:ident; [$pf:ident]; { $($attr:tt)* }; $($rest:tt)*) => {
        $crate::types::forks::fork_known!($pf);
        $crate::types::forks::fork_le! { $pf, $fork,
            { $crate::types::forks::fork_container! { @munch $fork;
                { @progressive $($attr)* }; $($rest)* } }
            { $crate::types::forks::fork_container! { @munch $fork;
                { #[derive(::tree_hash_derive::TreeHash)] $($attr)* }; $($rest)* } }
        }
    };
    // Entry: the family at `fork`, whose previous fork's module is `prev`. A family that
    // becomes a `ProgressiveContainer` (EIP-7495) at fork F says `progressive [F]` and leaves
    // `TreeHash` out of its derives.
    (
        $fork:ident, $prev:ident;
        $(#[$attr:meta])*
        pub struct $name:ident $(<$p:ident>)? in [$first:ident $($version:ident)*]
            $(until $end:ident)? $(progressive [$pf:ident])? {
            $($fields:tt)*
        }
        $(impl { $($impl:tt)* })?
    ) => {
        $crate::types::forks::fork_known!($first $($version)*);
        $crate::types::forks::fork_container! { @alive $fork; [$($end)?]; {
            $crate::types::forks::fork_le! { $first, $fork,
                { $crate::types::forks::fork_in! { $fork, [$first $($version)*],
                    { $crate::types::forks::fork_container! { @kind $fork; [$($pf)?];
                        { $(#[$attr])* }; $name $(<$p>)?; { $($($impl)*)? }; []; $($fields)* } }
                    { pub use super::$prev::$name; }
                } }
                {}
            }
        } }
    };
    // `until F`: the family ends at fork F (removed there, or replaced by a container of F's
    // own module that no longer fits the family, e.g. one that lost its preset parameter).
    (@alive $fork:ident; []; { $($body:tt)* }) => { $($body)* };
    (@alive $fork:ident; [$end:ident]; { $($body:tt)* }) => {
        $crate::types::forks::fork_known!($end);
        $crate::types::forks::fork_le! { $end, $fork, {} { $($body)* } }
    };
}

/// A plain container outside the fork tables (new in one fork, or a light-client type): the
/// struct and its [`SszSchema`](super::SszSchema), as `fork_container!` emits them.
macro_rules! container {
    (
        $(#[$attr:meta])*
        pub struct $name:ident $(<$p:ident>)? { $($(#[$m:meta])* $field:ident : $ty:ty,)+ }
    ) => {
        $crate::types::forks::fork_container! { @emit { $(#[$attr])* }; $name $(<$p>)?; {};
            $({ $(#[$m])* $field: $ty })+ }
    };
}

pub(crate) use {container, fork_container, fork_in, fork_known, fork_le};
