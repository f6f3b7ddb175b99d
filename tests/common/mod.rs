//! What several test files share.

use std::path::Path;

use serde_json::Value;

/// Checks that the committed JSON file `path` (from the crate's root) holds `value`, what the
/// core makes now: the same structure, and numbers within `tolerance` of each other (0: exact).
/// With `MIXVAE_WRITE_GENERATED=1` it writes the file instead, which is how such a file is made:
/// `MIXVAE_WRITE_GENERATED=1 cargo test --release`.
pub fn check_generated(path: &str, value: &Value, tolerance: f64) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("MIXVAE_WRITE_GENERATED").is_some() {
        std::fs::create_dir_all(file.parent().expect("a file in a folder")).unwrap();
        let text = serde_json::to_string_pretty(value).unwrap() + "\n";
        std::fs::write(&file, text).unwrap_or_else(|e| panic!("{path}: {e}"));
        return;
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{path}: {e}"));
    let committed: Value = serde_json::from_str(&committed).unwrap_or_else(|e| panic!("{path}: {e}"));
    if let Err(at) = same(&committed, value, tolerance, String::new()) {
        panic!(
            "{path} is not what the core makes now (at {at}): write it again with \
             `MIXVAE_WRITE_GENERATED=1 cargo test --release`"
        );
    }
}

/// Where `a` and `b` first differ (a JSON path), numbers compared within `tolerance`.
fn same(a: &Value, b: &Value, tolerance: f64, at: String) -> Result<(), String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (x - y).abs() <= tolerance { Ok(()) } else { Err(format!("{at}: {x} against {y}")) }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().try_for_each(|(i, (x, y))| same(x, y, tolerance, format!("{at}[{i}]")))
        }
        (Value::Object(x), Value::Object(y)) if x.len() == y.len() => x.iter().try_for_each(|(key, x)| {
            let y = y.get(key).ok_or_else(|| format!("{at}.{key}: missing"))?;
            same(x, y, tolerance, format!("{at}.{key}"))
        }),
        _ if a == b => Ok(()),
        _ => Err(format!("{at}: {a} against {b}")),
    }
}

/// A test digit as a drawing: `scale` times larger on a `width x height` canvas, its top left at
/// (`left`, `top`).
pub fn drawing(digit: &[u8], scale: usize, (width, height): (usize, usize), (left, top): (usize, usize)) -> Vec<u8> {
    let mut canvas = vec![0u8; width * height];
    for y in 0..28 * scale {
        for x in 0..28 * scale {
            canvas[(top + y) * width + left + x] = digit[(y / scale) * 28 + x / scale];
        }
    }
    canvas
}
