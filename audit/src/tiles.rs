//! Tiles of the log's Merkle tree and entry bundles (FORMAT.md §6a,
//! "Tiles"), as `c2sp.org/tlog-tiles` defines them: the paths under the
//! log's prefix, which tiles a tree of a given size has, and the framing of
//! entry bundles.
//!
//! A hash tile at level `L` and index `N` holds up to 256 consecutive
//! hashes of level `L`: hash `i` is `MTH` of the `256^L` leaves from
//! `(N·256 + i)·256^L`. An entry bundle holds the leaves themselves, each as
//! a big-endian uint16 length and the entry's canonical bytes (§5).

use std::fmt;

/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Bytes of a full hash tile: 256 SHA-256 hashes.
pub const FULL_TILE_BYTES: usize = 256 * 32;
/// The highest level the path format allows.
pub const MAX_LEVEL: u8 = 63;
/// The longest entry a bundle can frame (its length is a uint16).
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;
/// The longest path read: 7 index elements cover every `u64`.
const MAX_PATH_BYTES: usize = 64;

/// What a tile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileKind {
    /// Merkle tree hashes at this level (0: leaf hashes).
    Hashes(u8),
    /// Entry bundle: the leaves' bytes.
    Entries,
}

/// One tile or bundle, as named by its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    /// Hashes of a level, or entries.
    pub kind: TileKind,
    /// The tile's index within its level.
    pub index: u64,
    /// The number of hashes or entries: 256 for a full tile, 1–255 for a
    /// partial one (`.p/<W>`).
    pub width: u16,
}

/// Why a path is not a tile's path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a tile path (c2sp.org/tlog-tiles): {0}")]
pub struct PathError(&'static str);

impl Tile {
    /// Whether this is a full tile (256 wide).
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// The level whose hashes the tile holds (entry bundles: 0).
    pub fn level(&self) -> u8 {
        match self.kind {
            TileKind::Hashes(level) => level,
            TileKind::Entries => 0,
        }
    }

    /// The tile's path below `<prefix>/tile/`: `<L>/<N>[.p/<W>]` or
    /// `entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let head = match self.kind {
            TileKind::Hashes(level) => level.to_string(),
            TileKind::Entries => "entries".to_string(),
        };
        let mut path = format!("{head}/{}", encode_index(self.index));
        if !self.is_full() {
            path.push_str(&format!(".p/{}", self.width));
        }
        path
    }

    /// Read a path below `<prefix>/tile/`, strictly: only the one encoding
    /// the spec allows for each tile (no leading zeros, no needless `x000`
    /// element, widths 1–255).
    pub fn parse(path: &str) -> Result<Tile, PathError> {
        if path.len() > MAX_PATH_BYTES {
            return Err(PathError("too long"));
        }
        let (head, rest) = path.split_once('/').ok_or(PathError("no index"))?;
        let kind = if head == "entries" {
            TileKind::Entries
        } else {
            let level = decimal(head).ok_or(PathError("the level is not a decimal number"))?;
            let level = u8::try_from(level)
                .ok()
                .filter(|l| *l <= MAX_LEVEL)
                .ok_or(PathError("the level is above 63"))?;
            TileKind::Hashes(level)
        };
        let (index, width) = match rest.split_once(".p/") {
            Some((index, width)) => {
                let width = decimal(width)
                    .filter(|w| (1..TILE_WIDTH).contains(w))
                    .ok_or(PathError("a partial width is a number from 1 to 255"))?;
                (index, width as u16)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let index = decode_index(index)?;
        Ok(Tile { kind, index, width })
    }

    /// The tiles and bundles a tree of `size` leaves has (the spec's full
    /// tiles, and a partial one wherever a level does not end on a tile).
    pub fn all_for(size: u64) -> Vec<Tile> {
        let mut tiles = Vec::new();
        for kind in std::iter::once(TileKind::Entries).chain((0..=MAX_LEVEL).map(TileKind::Hashes)) {
            let count = hashes_at(size, kind);
            if count == 0 {
                continue;
            }
            for index in 0..count / TILE_WIDTH {
                tiles.push(Tile {
                    kind,
                    index,
                    width: TILE_WIDTH as u16,
                });
            }
            if count % TILE_WIDTH != 0 {
                tiles.push(Tile {
                    kind,
                    index: count / TILE_WIDTH,
                    width: (count % TILE_WIDTH) as u16,
                });
            }
        }
        tiles
    }

    /// The first hash (or entry) of the tile within its level.
    pub fn start(&self) -> u64 {
        self.index.saturating_mul(TILE_WIDTH)
    }

    /// Whether a tree of `size` leaves has all of this tile's hashes (for a
    /// partial tile, the first `width` of its level's last tile).
    pub fn within(&self, size: u64) -> bool {
        let end = self.start().checked_add(u64::from(self.width));
        end.is_some_and(|end| end <= hashes_at(size, self.kind))
    }
}

/// The number of complete hashes at a tile kind's level in a tree of
/// `size` leaves: `floor(size / 256^L)`.
pub fn hashes_at(size: u64, kind: TileKind) -> u64 {
    let shift = 8 * u32::from(match kind {
        TileKind::Hashes(level) => level,
        TileKind::Entries => 0,
    });
    size.checked_shr(shift).unwrap_or(0)
}

/// The tile index in the spec's path form: zero-padded groups of three
/// digits, all but the last starting with `x` (1234067 → `x001/x234/067`).
pub fn encode_index(mut index: u64) -> String {
    let mut groups = vec![format!("{:03}", index % 1000)];
    index /= 1000;
    while index > 0 {
        groups.push(format!("x{:03}", index % 1000));
        index /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// Read a tile index in the spec's path form; the only encoding accepted
/// is the one [`encode_index`] writes.
pub fn decode_index(path: &str) -> Result<u64, PathError> {
    let bad = PathError("the index is not zero-padded groups of three digits, all but the last starting with x");
    let groups: Vec<&str> = path.split('/').collect();
    let last = groups.len() - 1;
    if last > 6 {
        return Err(PathError("the index is too large"));
    }
    let mut index: u64 = 0;
    for (i, group) in groups.iter().enumerate() {
        let digits = if i < last {
            group.strip_prefix('x').ok_or(bad.clone())?
        } else {
            group
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad);
        }
        let value: u64 = digits.parse().map_err(|_| bad.clone())?;
        index = index
            .checked_mul(1000)
            .and_then(|i| i.checked_add(value))
            .ok_or(PathError("the index is too large"))?;
    }
    if encode_index(index) != path {
        return Err(PathError("the index has a needless leading x000 element"));
    }
    Ok(index)
}

/// A decimal number without leading zeros ("0" itself allowed).
fn decimal(s: &str) -> Option<u64> {
    let canonical = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if canonical && s.len() <= 20 {
        s.parse().ok()
    } else {
        None
    }
}

/// Why an entry bundle cannot be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// An entry longer than a uint16 length can say.
    #[error("entry {0} of the bundle is longer than 65,535 bytes")]
    EntryTooLong(usize),
    /// The bundle ends inside a length or an entry.
    #[error("the bundle ends inside entry {0}")]
    Truncated(usize),
    /// The bundle has a different number of entries than its tile.
    #[error("expected {expected} entries in the bundle, found {found}")]
    WrongCount {
        /// The tile's width.
        expected: usize,
        /// The entries read.
        found: usize,
    },
}

/// Append one entry to a bundle: its length as a big-endian uint16, then
/// its bytes.
pub fn push_entry(bundle: &mut Vec<u8>, position: usize, entry: &[u8]) -> Result<(), BundleError> {
    let len = u16::try_from(entry.len()).map_err(|_| BundleError::EntryTooLong(position))?;
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

/// Split a bundle into its entries, which must be exactly `expected`.
pub fn split_bundle(bundle: &[u8], expected: usize) -> Result<Vec<&[u8]>, BundleError> {
    let mut entries = Vec::with_capacity(expected.min(TILE_WIDTH as usize));
    let mut rest = bundle;
    while !rest.is_empty() {
        let position = entries.len();
        let [hi, lo, tail @ ..] = rest else {
            return Err(BundleError::Truncated(position));
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if tail.len() < len {
            return Err(BundleError::Truncated(position));
        }
        let (entry, after) = tail.split_at(len);
        entries.push(entry);
        rest = after;
        if entries.len() > expected {
            break;
        }
    }
    if entries.len() != expected {
        return Err(BundleError::WrongCount {
            expected,
            found: entries.len(),
        });
    }
    Ok(entries)
}

impl fmt::Display for Tile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tile/{}", self.path())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn indexes_are_groups_of_three_digits() {
        assert_eq!(encode_index(0), "000");
        assert_eq!(encode_index(7), "007");
        assert_eq!(encode_index(999), "999");
        assert_eq!(encode_index(1000), "x001/000");
        assert_eq!(encode_index(1_234_067), "x001/x234/067");
        assert_eq!(encode_index(u64::MAX), "x018/x446/x744/x073/x709/x551/615");
        for n in [0, 5, 999, 1000, 1_234_067, 1_000_000, u64::MAX] {
            assert_eq!(decode_index(&encode_index(n)), Ok(n));
        }
    }

    #[test]
    fn only_the_one_encoding_of_an_index_is_read() {
        for bad in [
            "",
            "7",
            "07",
            "0007",
            "x007",
            "001/067",
            "x000/067",
            "x1/067",
            "X001/067",
            "x001/x067/",
            "/067",
            "x001//067",
            "+01",
            "x018/x446/x744/x073/x709/x551/616",
            "x001/x002/x003/x004/x005/x006/x007/008",
        ] {
            assert!(decode_index(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tile_paths_read_and_write_the_same() {
        let cases = [
            ("0/000", TileKind::Hashes(0), 0, 256),
            ("1/x001/x234/067.p/8", TileKind::Hashes(1), 1_234_067, 8),
            ("63/000.p/255", TileKind::Hashes(63), 0, 255),
            ("entries/x001/000", TileKind::Entries, 1000, 256),
            ("entries/002.p/1", TileKind::Entries, 2, 1),
        ];
        for (path, kind, index, width) in cases {
            let tile = Tile::parse(path).unwrap();
            assert_eq!(tile, Tile { kind, index, width }, "{path}");
            assert_eq!(tile.path(), path);
        }
        for bad in [
            "",
            "0",
            "00/000",
            "01/000",
            "64/000",
            "-1/000",
            "a/000",
            "0/000.p/0",
            "0/000.p/256",
            "0/000.p/08",
            "0/000.p/",
            "0/000.p",
            "0/000.p/1/",
            "entry/000",
            "entries/000.p/1.p/1",
            "0/000/",
            "0/x000/001",
            "0/0001",
            " 0/000",
        ] {
            assert!(Tile::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Tile::parse(&format!("0/{}", "x001/".repeat(20))).is_err());
    }

    #[test]
    fn the_tiles_of_the_spec_examples() {
        // "a tree of size 70,000 will be represented by 273 full level 0
        // tiles, one partial level 0 tile of width 112, one full level 1
        // tile, one partial level 1 tile of width 17, and one partial level
        // 2 tile of width 1."
        let tiles = Tile::all_for(70_000);
        let of = |kind| tiles.iter().filter(|t| t.kind == kind).collect::<Vec<_>>();
        let level0 = of(TileKind::Hashes(0));
        assert_eq!(level0.iter().filter(|t| t.is_full()).count(), 273);
        assert_eq!(level0.last().unwrap().width, 112);
        let level1 = of(TileKind::Hashes(1));
        assert_eq!((level1.len(), level1[0].is_full(), level1[1].width), (2, true, 17));
        assert_eq!(of(TileKind::Hashes(2)).iter().map(|t| t.width).collect::<Vec<_>>(), [1]);
        assert!(of(TileKind::Hashes(3)).is_empty());
        assert_eq!(of(TileKind::Entries).len(), 274);
        // "a tree of size 256 will be represented by a full level 0 tile and
        // a partial level 1 tile of width 1."
        let tiles = Tile::all_for(256);
        assert_eq!(
            tiles.iter().filter(|t| t.kind != TileKind::Entries).collect::<Vec<_>>(),
            [
                &Tile {
                    kind: TileKind::Hashes(0),
                    index: 0,
                    width: 256
                },
                &Tile {
                    kind: TileKind::Hashes(1),
                    index: 0,
                    width: 1
                }
            ]
        );
        assert!(Tile::all_for(0).is_empty());
        for tile in Tile::all_for(70_000) {
            assert!(tile.within(70_000), "{tile}");
        }
        let past = Tile {
            kind: TileKind::Hashes(0),
            index: 273,
            width: 113,
        };
        assert!(!past.within(70_000));
        let huge = Tile {
            kind: TileKind::Hashes(0),
            index: u64::MAX,
            width: 256,
        };
        assert!(!huge.within(u64::MAX));
    }

    #[test]
    fn bundles_are_uint16_length_prefixed() {
        let mut bundle = Vec::new();
        push_entry(&mut bundle, 0, b"ab").unwrap();
        push_entry(&mut bundle, 1, b"").unwrap();
        push_entry(&mut bundle, 2, &[7u8; 300]).unwrap();
        assert_eq!(&bundle[..6], &[0, 2, b'a', b'b', 0, 0]);
        assert_eq!(&bundle[6..8], &[1, 44]);
        let entries = split_bundle(&bundle, 3).unwrap();
        assert_eq!(entries, [&b"ab"[..], &b""[..], &[7u8; 300][..]]);
        assert_eq!(
            split_bundle(&bundle, 2),
            Err(BundleError::WrongCount { expected: 2, found: 3 })
        );
        assert_eq!(
            split_bundle(&bundle, 4),
            Err(BundleError::WrongCount { expected: 4, found: 3 })
        );
        assert_eq!(
            split_bundle(&bundle[..bundle.len() - 1], 3),
            Err(BundleError::Truncated(2))
        );
        assert_eq!(split_bundle(&[0], 1), Err(BundleError::Truncated(0)));
        assert_eq!(split_bundle(&[], 0), Ok(vec![]));
        assert_eq!(
            push_entry(&mut Vec::new(), 5, &vec![0u8; 65_536]),
            Err(BundleError::EntryTooLong(5))
        );
        push_entry(&mut Vec::new(), 5, &vec![0u8; 65_535]).unwrap();
    }
}
