//! SSZ types of the beacon chain for every fork from phase0 to Fulu, generic over the preset.

pub mod light_client;
