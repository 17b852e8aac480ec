//! The OCI front end: a bundle's `config.json` (runtime-spec) onto the container description.

pub mod json;
