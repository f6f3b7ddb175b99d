//! What several test files share.

use std::path::Path;

/// Checks that the committed file `path` (from the crate's root) holds `contents`, what the core
/// makes now. With `MIXVAE_WRITE_GENERATED=1` it writes the file instead, which is how such a
/// file is made: `MIXVAE_WRITE_GENERATED=1 cargo test --release`.
pub fn check_generated(path: &str, contents: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("MIXVAE_WRITE_GENERATED").is_some() {
        std::fs::create_dir_all(file.parent().expect("a file in a folder")).unwrap();
        std::fs::write(&file, contents).unwrap_or_else(|e| panic!("{path}: {e}"));
        return;
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(
        committed == contents,
        "{path} is not what the core makes now: write it again with `MIXVAE_WRITE_GENERATED=1 cargo test --release`"
    );
}
