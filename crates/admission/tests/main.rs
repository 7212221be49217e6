//! Integration tests for podgate-admission, one binary (see STYLE.md):
//! AdmissionReview JSON in, AdmissionReview JSON out, exact strings.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod extras;
mod image_review;
mod mutate;
mod namespaces;
mod pods;
mod workloads;
