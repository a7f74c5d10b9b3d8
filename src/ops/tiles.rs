//! The log as `c2sp.org/tlog-tiles` serves it (audit/FORMAT.md §6a,
//! "Tiles"): hash tiles from the per-instance tree (`ops::tree`), entry
//! bundles from the stored log, and only what the newest tree checkpoint
//! covers, so every tile served is final.
//!
//! A tile is at most 256 hashes (8 KiB); a bundle at most 256 entries read
//! in one query: what a request costs does not depend on the numbers in
//! its path.

use teller_audit::merkle::Tree;
use teller_audit::tiles::{push_entry, Tile, TileKind};

use super::OpError;
use crate::db::AnyConnection;
use crate::secrets::MasterSecret;
use crate::store::elections::ElectionRow;
use crate::store::log as logstore;
use crate::store::{corrupt, StoreError};

/// What a tile request finds.
#[derive(Debug, PartialEq, Eq)]
pub enum Served {
    /// The tile's bytes.
    Bytes(Vec<u8>),
    /// The newest tree checkpoint (of this size) does not cover the tile.
    Beyond(u64),
    /// No tree checkpoint yet: the polls have not opened.
    NoCheckpoint,
}

/// The bytes of `tile` (hashes or entries) in the log as far as the newest
/// tree checkpoint.
pub fn tile(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    trees: &super::tree::Trees,
    row: &ElectionRow,
    host: &str,
    tile: Tile,
) -> Result<Served, OpError> {
    match tile.kind {
        TileKind::Hashes(level) => {
            let found = super::tree::with_checkpointed_tree(conn, secret, trees, row, host, |tree, size| {
                if tile.within(size) {
                    hash_tile(tree, level, tile).map(Served::Bytes)
                } else {
                    Ok(Served::Beyond(size))
                }
            })?;
            Ok(found.unwrap_or(Served::NoCheckpoint))
        }
        TileKind::Entries => {
            // The size the tree checkpoint signs is the newest checkpoint's.
            let Some(latest) = logstore::latest_checkpoint(conn, &row.id)? else {
                return Ok(Served::NoCheckpoint);
            };
            let size = latest.checkpoint.size;
            if tile.within(size) {
                bundle(conn, &row.id, tile).map(Served::Bytes)
            } else {
                Ok(Served::Beyond(size))
            }
        }
    }
}

/// The hashes of a tile at `level`: hash `i` is the root of the complete
/// subtree of `256^level` leaves numbered `tile.start() + i` at that size.
fn hash_tile(tree: &Tree, level: u8, tile: Tile) -> Result<Vec<u8>, OpError> {
    let merkle_level = 8 * u32::from(level);
    let mut bytes = Vec::with_capacity(usize::from(tile.width) * 32);
    for i in 0..u64::from(tile.width) {
        let hash = tree
            .complete(merkle_level, tile.start() + i)
            .ok_or_else(|| StoreError::from(corrupt(format!("{tile}: the tree lacks hash {i}"))))?;
        bytes.extend_from_slice(&hash.0);
    }
    Ok(bytes)
}

/// The entry bundle: each entry's canonical bytes (FORMAT.md §5, the leaf
/// data of §5a), framed by a big-endian uint16 length.
fn bundle(conn: &mut AnyConnection, election: &str, tile: Tile) -> Result<Vec<u8>, OpError> {
    let start = i64::try_from(tile.start()).map_err(|_| StoreError::from(corrupt("tile index out of range")))?;
    let rows = logstore::entry_rows(conn, election, start, i64::from(tile.width))?;
    if rows.len() != usize::from(tile.width) {
        return Err(StoreError::from(corrupt(format!(
            "{tile}: the log has only {} of its entries",
            rows.len()
        )))
        .into());
    }
    let mut bytes = Vec::new();
    for (i, (seq, body, _)) in rows.into_iter().enumerate() {
        if seq != start + i as i64 {
            return Err(StoreError::from(corrupt(format!("log entry {seq} out of place"))).into());
        }
        let entry = logstore::parse_entry(conn, election, seq, &body)?;
        push_entry(&mut bytes, i, &entry.canonical_bytes()).map_err(|e| StoreError::from(corrupt(e)))?;
    }
    Ok(bytes)
}
