//! Seed tests are added below.
