//! `teller bench`: run the benchmark suite.

use anyhow::Result;
use clap::Args;

/// Options of `teller bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {}

/// Run the benchmarks.
pub fn run(_args: BenchArgs) -> Result<()> {
    anyhow::bail!("the benchmark suite is not built yet")
}
