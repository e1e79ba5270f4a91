//! Live collection from AWS (wired to rampart-collect).

use anyhow::{Result, bail};
use rampart_inventory::Inventory;

use crate::cli::AwsArgs;
use crate::progress::Progress;

pub fn collect(_aws: &AwsArgs, _progress: &Progress) -> Result<(Inventory, u64)> {
    bail!("live AWS collection is not built yet")
}
