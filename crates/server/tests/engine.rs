//! AdmissionReviews through the real engine over HTTPS.
#![allow(clippy::unwrap_used, clippy::expect_used)]
