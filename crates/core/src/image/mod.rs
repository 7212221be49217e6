//! Image references and the image policy.
