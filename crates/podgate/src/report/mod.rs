//! Report writers. Each takes the finished [`crate::scan::ScanReport`] and
//! writes one format; none of them decides anything.

pub mod json;
pub mod junit;
pub mod sarif;
pub mod text;
