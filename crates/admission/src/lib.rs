//! AdmissionReview decisions (placeholder: being written).
