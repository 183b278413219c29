//! Light-client containers (owned by the light-client engineer).
