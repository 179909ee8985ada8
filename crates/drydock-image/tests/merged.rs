//! The merged view across layers (whiteouts, opaque whiteouts, overwrites).

mod common;

use common::*;
use drydock_image::*;

fn tree_of(layers: &[Vec<u8>]) -> MergedTree {
    let mut tree = MergedTree::new();
    for (i, l) in layers.iter().enumerate() {
        let mut listing = LayerListing::new(i);
        walk_layer(&l[..], &mut listing).unwrap();
        tree.apply(&listing).unwrap();
    }
    tree
}

fn fates(tree: &MergedTree, p: &str) -> Vec<(usize, u64, Fate)> {
    tree.versions(p)
        .unwrap_or_else(|| panic!("no {p}"))
        .iter()
        .map(|v| (v.layer, v.size, v.fate))
        .collect()
}

#[test]
fn whiteouts_and_opaque_whiteouts_across_three_layers() {
    let tree = tree_of(&three_layers());
    assert_eq!(tree.layers_applied(), 3);
    assert_eq!(
        fates(&tree, "/etc/a"),
        [
            (0, 100, Fate::Overwritten { by_layer: 1 }),
            (1, 120, Fate::Present)
        ]
    );
    assert_eq!(
        fates(&tree, "/etc/b"),
        [(
            0,
            200,
            Fate::Deleted {
                by_layer: 1,
                opaque: false
            }
        )]
    );
    assert_eq!(
        fates(&tree, "/secret"),
        [(
            1,
            875,
            Fate::Deleted {
                by_layer: 2,
                opaque: false
            }
        )]
    );
    assert_eq!(
        fates(&tree, "/opt/d/x"),
        [(
            0,
            300,
            Fate::Deleted {
                by_layer: 2,
                opaque: true
            }
        )]
    );
    assert_eq!(
        fates(&tree, "/opt/d/y"),
        [(
            0,
            50,
            Fate::Deleted {
                by_layer: 2,
                opaque: true
            }
        )]
    );
    // Files the opaque layer itself adds stay.
    assert_eq!(fates(&tree, "/opt/d/z"), [(2, 7, Fate::Present)]);
    // The opaque directory itself stays (re-declared by layer 2).
    assert_eq!(tree.present("/opt/d").map(|v| v.layer), Some(2));
    assert_eq!(tree.present("/opt").map(|v| v.layer), Some(0));
    assert_eq!(fates(&tree, "/keep"), [(0, 10, Fate::Present)]);
    // Whiteout markers are not paths of the tree.
    assert!(tree.versions("/.wh.secret").is_none());
    assert!(tree.versions("/opt/d/.wh..wh..opq").is_none());

    // Bytes shipped but invisible: the surviving /etc/a copy is not counted.
    assert_eq!(tree.hidden_bytes(), 100 + 200 + 875 + 300 + 50);
    let hidden: Vec<(&str, usize)> = tree.hidden_files().map(|(p, v)| (p, v.layer)).collect();
    assert_eq!(
        hidden,
        [
            ("/etc/a", 0),
            ("/etc/b", 0),
            ("/opt/d/x", 0),
            ("/opt/d/y", 0),
            ("/secret", 1)
        ]
    );
    let lb = tree.layer_bytes();
    assert_eq!(
        lb[0],
        LayerBytes {
            file_bytes: 660,
            hidden_bytes: 650,
            hidden_files: 4
        }
    );
    assert_eq!(
        lb[1],
        LayerBytes {
            file_bytes: 995,
            hidden_bytes: 875,
            hidden_files: 1
        }
    );
    assert_eq!(
        lb[2],
        LayerBytes {
            file_bytes: 7,
            hidden_bytes: 0,
            hidden_files: 0
        }
    );
    let wo: Vec<(usize, &str, bool, u64)> = tree
        .whiteouts()
        .iter()
        .map(|w| (w.layer, w.target.as_str(), w.opaque, w.removed))
        .collect();
    assert_eq!(
        wo,
        [
            (1, "/etc/b", false, 1),
            (2, "/secret", false, 1),
            (2, "/opt/d", true, 2)
        ]
    );
}

#[test]
fn whiteout_of_a_directory_removes_its_subtree_and_not_siblings() {
    let l0 = LayerTar::new()
        .file("a/b/c", b"123")
        .file("a/b-c", b"1")
        .file("a/bc", b"12")
        .finish();
    let l1 = LayerTar::new().whiteout("a/b").finish();
    let tree = tree_of(&[l0, l1]);
    assert_eq!(
        fates(&tree, "/a/b/c"),
        [(
            0,
            3,
            Fate::Deleted {
                by_layer: 1,
                opaque: false
            }
        )]
    );
    assert_eq!(fates(&tree, "/a/b-c"), [(0, 1, Fate::Present)]);
    assert_eq!(fates(&tree, "/a/bc"), [(0, 2, Fate::Present)]);
}

#[test]
fn same_layer_whiteout_does_not_hide_same_layer_files() {
    // Layer 1 has an opaque whiteout and re-adds /d/x (before the marker in
    // tar order): layer 0's /d/x is removed by the whiteout, layer 1's stays.
    let l0 = LayerTar::new().file("d/x", b"old").finish();
    let l1 = LayerTar::new().file("d/x", b"new!").opaque("d").finish();
    let tree = tree_of(&[l0, l1]);
    assert_eq!(
        fates(&tree, "/d/x"),
        [
            (
                0,
                3,
                Fate::Deleted {
                    by_layer: 1,
                    opaque: true
                }
            ),
            (1, 4, Fate::Present)
        ]
    );
}

#[test]
fn type_changes_replace_subtrees_and_ancestors() {
    // Layer 1 replaces directory /d by a file: /d/x goes.
    // Layer 2 writes /f/y where /f was a file (and a symlink /l → replaced).
    let l0 = LayerTar::new()
        .file("d/x", b"xx")
        .file("f", b"ffff")
        .symlink("l", "usr/lib")
        .finish();
    let l1 = LayerTar::new().file("d", b"now a file").finish();
    let l2 = LayerTar::new().file("f/y", b"y").file("l/z", b"z").finish();
    let tree = tree_of(&[l0, l1, l2]);
    assert_eq!(
        fates(&tree, "/d/x"),
        [(
            0,
            2,
            Fate::Deleted {
                by_layer: 1,
                opaque: false
            }
        )]
    );
    assert_eq!(fates(&tree, "/d"), [(1, 10, Fate::Present)]);
    assert_eq!(
        fates(&tree, "/f"),
        [(0, 4, Fate::Overwritten { by_layer: 2 })]
    );
    assert_eq!(fates(&tree, "/f/y"), [(2, 1, Fate::Present)]);
    assert_eq!(
        fates(&tree, "/l"),
        [(0, 0, Fate::Overwritten { by_layer: 2 })]
    );
    assert_eq!(tree.hidden_bytes(), 2 + 4);
}

#[test]
fn path_limit_is_enforced() {
    let l0 = LayerTar::new()
        .file("a", b"")
        .file("b", b"")
        .file("c", b"")
        .finish();
    let mut listing = LayerListing::new(0);
    walk_layer(&l0[..], &mut listing).unwrap();
    let mut tree = MergedTree::with_max_paths(2);
    let err = tree.apply(&listing).unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 2, .. }), "{err}");
}
