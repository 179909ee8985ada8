//! Image building shared by the apk and rpm tests.

use drydock_image::{DockerArchive, OpenOptions};
use sha2::Digest;

/// A tar of regular files; without `end_blocks` the two closing zero blocks are cut (as in the
/// signature fragment of an `APKINDEX.tar.gz`).
pub fn tar(members: &[(&str, &[u8])], end_blocks: bool) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, name, *data).unwrap();
    }
    let mut bytes = builder.into_inner().unwrap();
    if !end_blocks {
        bytes.truncate(bytes.len() - 1024);
    }
    bytes
}

/// A one-layer `docker save` archive tagged `tag` with `files`.
pub fn image(tag: &str, files: &[(&str, &[u8])]) -> DockerArchive {
    let layer = tar(files, true);
    let diff_id = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&layer)));
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{}},"rootfs":{{"type":"layers","diff_ids":["{diff_id}"]}},"history":[{{"created_by":"ADD rootfs /"}}]}}"#
    );
    // Named by its digest, as `docker save` does: the image id is known (and verified).
    let config_name = format!("{}.json", hex::encode(sha2::Sha256::digest(&config)));
    let manifest = format!(
        r#"[{{"Config":"{config_name}","RepoTags":["{tag}"],"Layers":["layer/layer.tar"]}}]"#
    );
    let archive = tar(
        &[
            ("layer/layer.tar", &layer),
            (&config_name, config.as_bytes()),
            ("manifest.json", manifest.as_bytes()),
        ],
        true,
    );
    DockerArchive::from_bytes(archive, None, &OpenOptions::default()).unwrap()
}
