//! The `knet` command line.
fn main() {}
