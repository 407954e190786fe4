//! The conversion on hand-made live states.
