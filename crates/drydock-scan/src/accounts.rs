//! `/etc/passwd` and `/etc/group`: ids shared by several names.

use std::collections::BTreeMap;

/// Ids used by more than one name in a `name:password:id:…` file (`/etc/passwd` UIDs,
/// `/etc/group` GIDs), in id order, names in file order. Malformed lines are skipped.
pub fn duplicate_ids(text: &str) -> Vec<(u64, Vec<&str>)> {
    let mut by_id: BTreeMap<u64, Vec<&str>> = BTreeMap::new();
    for line in text.lines() {
        let mut fields = line.split(':');
        let (Some(name), Some(_), Some(id)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let (name, id) = (name.trim(), id.trim());
        if name.is_empty() || name.starts_with('#') || name.starts_with(['+', '-']) {
            continue;
        }
        if let Ok(id) = id.parse::<u64>() {
            let names = by_id.entry(id).or_default();
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    by_id
        .into_iter()
        .filter(|(_, names)| names.len() > 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_ids_are_found_once_each() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                      daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n\
                      # comment:x:0:\n\
                      broken line\n\
                      toor:x:0:0::/root:/bin/sh\n\
                      app:x:1000:1000::/app:/bin/sh\n\
                      app:x:1000:1000::/app:/bin/sh\n\
                      other:x:1000:1000::/:/bin/sh\n\
                      bad:x:notanumber:0::/:/bin/sh\n";
        assert_eq!(
            duplicate_ids(passwd),
            vec![(0, vec!["root", "toor"]), (1000, vec!["app", "other"])]
        );
        assert!(duplicate_ids("root:x:0:\nbin:x:1:\n").is_empty());
        assert!(duplicate_ids("").is_empty());
    }
}
