//! The `mixvae` binary as a person or a script uses it.
#![cfg(not(target_arch = "wasm32"))] // native: files, threads; tests/web.rs runs in the browser

use std::process::Command;

use mixvae::recipe::TrainSettings;

/// Runs the binary from a folder outside the crate: the data and the shipped model are found
/// all the same.
fn mixvae(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mixvae"))
        .args(args)
        .current_dir(std::env::temp_dir())
        .output()
        .expect("the binary runs")
}

#[test]
fn eval_json_scores_the_shipped_model_on_the_test_set() {
    let output = mixvae(&["eval", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one JSON object: {stdout}");
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(value["accuracy"].as_f64().unwrap() >= 0.90, "{value}");
    for key in ["nmi", "ari", "silhouette"] {
        assert!(value[key].as_f64().is_some_and(|v| v.is_finite()), "{key} in {value}");
    }
    assert_eq!(value["k"], 10);
    assert_eq!(value["test_size"], 10_000);
}

#[test]
fn a_damaged_model_file_is_a_clear_error_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("mixvae-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.safetensors");
    let shipped = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/www/model/mixvae.safetensors")).unwrap();
    std::fs::write(&broken, &shipped[..shipped.len() / 3]).unwrap();
    let output = mixvae(&["eval", "--model", broken.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("broken.safetensors") && stderr.contains("SafeTensors"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_missing_data_folder_names_the_file_and_the_fix() {
    let output = mixvae(&["eval", "--data-dir", "/nonexistent"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/nonexistent/train-images-idx3-ubyte") && stderr.contains("npm ci"), "{stderr}");
}

#[test]
fn train_runs_end_to_end_on_a_few_digits_and_writes_a_loadable_model() {
    let dir = std::env::temp_dir().join(format!("mixvae-train-{}", std::process::id()));
    let out = dir.join("tiny");
    let output = mixvae(&[
        "train",
        "--train-size",
        "300",
        "--pretrain-epochs",
        "1",
        "--anchor-epochs",
        "1",
        "--self-training-epochs",
        "1",
        "--mixture-epochs",
        "1",
        "--init-sample",
        "300",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // 300 digits for 4 epochs: the clusters are near chance by design (what training reaches
    // is tests/training.rs's). Here: the summary's fields, a score in the range a one-to-one map
    // of 10 clusters to 10 digits can give (at least the largest digit's share, 0.11), and the
    // file that eval reads back.
    let accuracy = value["accuracy"].as_f64().unwrap();
    assert!((0.1..=1.0).contains(&accuracy) && value["images_per_second"].as_f64().unwrap() > 0.0, "{value}");
    assert_eq!((value["k"].as_u64(), value["test_size"].as_u64()), (Some(10), Some(10_000)), "{value}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.with_extension("json")).unwrap()).unwrap();
    assert_eq!(summary["cluster_majority"].as_array().map(Vec::len), Some(10), "a majority per cluster");
    assert_eq!(summary["training"]["pretrain_epochs"], 1, "the summary records the run's settings");
    let eval = mixvae(&["eval", "--json", "--model", out.with_extension("safetensors").to_str().unwrap()]);
    assert!(eval.status.success(), "{}", String::from_utf8_lossy(&eval.stderr));
    let scored: serde_json::Value = serde_json::from_slice(&eval.stdout).unwrap();
    assert_eq!(scored["accuracy"], value["accuracy"], "eval of the saved file agrees with train's own score");
}

#[test]
fn baseline_trains_a_plain_vae_then_scores_k_means_on_its_codes() {
    let output = mixvae(&["baseline", "--train-size", "3000", "--epochs", "3", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["method"], "vae+kmeans");
    let accuracy = value["accuracy"].as_f64().unwrap();
    // A VAE this briefly trained clusters poorly (the full run scores 0.77), but clearly better
    // than labelling everything as the largest class (11%) or at random (about 12%).
    assert!(accuracy > 0.15 && accuracy < 1.0, "{value}");
    assert_eq!(value["clusters_used"], 10);
}

#[test]
fn study_trains_each_seed_and_summarises_mean_worst_and_spread() {
    let output = mixvae(&["study", "--recipe", "page", "--seeds", "3,4", "--train-size", "2000", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let runs = value["runs"].as_array().unwrap();
    assert_eq!(runs.iter().map(|r| r["seed"].as_u64().unwrap()).collect::<Vec<_>>(), [3, 4]);
    let accuracy: Vec<f64> = runs.iter().map(|r| r["scores"]["accuracy"].as_f64().unwrap()).collect();
    assert_ne!(accuracy[0], accuracy[1], "each seed is its own run");
    for (run, a) in runs.iter().zip(&accuracy) {
        assert!(*a > 0.2, "better than chance (about 0.12) on 2,000 digits: {run}");
        assert!(run["initial_groups_accuracy"].as_f64().is_some_and(|g| g > 0.0), "{run}");
        assert!(run["train_seconds"].as_f64().unwrap() > 0.0);
    }
    let summary = &value["summary"];
    assert_eq!(summary["worst_accuracy"].as_f64().unwrap(), accuracy[0].min(accuracy[1]));
    assert!((summary["mean_accuracy"].as_f64().unwrap() - (accuracy[0] + accuracy[1]) / 2.0).abs() < 1e-12);
    assert!((summary["spread"].as_f64().unwrap() - (accuracy[0] - accuracy[1]).abs()).abs() < 1e-12);
    let page = TrainSettings::page_defaults();
    assert_eq!(value["settings"]["pretrain_epochs"], page.pretrain_epochs, "the page recipe: {value}");
    // The curve: each run's accuracy after every epoch, and their mean.
    let epochs = page.to_config().unwrap().total_epochs();
    let numbers =
        |v: &serde_json::Value| -> Vec<f64> { v.as_array().unwrap().iter().map(|a| a.as_f64().unwrap()).collect() };
    let (first, second) = (numbers(&runs[0]["accuracy_by_epoch"]), numbers(&runs[1]["accuracy_by_epoch"]));
    let mean = numbers(&summary["mean_accuracy_by_epoch"]);
    assert_eq!((mean.len(), first.len()), (epochs, epochs), "{summary}");
    for (e, m) in mean.iter().enumerate() {
        assert!((m - (first[e] + second[e]) / 2.0).abs() < 1e-12, "epoch {e}: {m}, {} and {}", first[e], second[e]);
    }
    assert_eq!(first.last(), Some(&accuracy[0]), "the last epoch's accuracy is the run's");
}

#[test]
fn a_study_of_the_baseline_scores_k_means_on_the_codes_after_every_epoch() {
    let output = mixvae(&["study", "--recipe", "baseline", "--seeds", "2", "--train-size", "500", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!((value["recipe"].as_str(), value["settings"].is_null()), (Some("baseline"), true), "{value}");
    let run = &value["runs"][0];
    let curve: Vec<f64> = run["accuracy_by_epoch"].as_array().unwrap().iter().map(|a| a.as_f64().unwrap()).collect();
    assert_eq!(
        curve.len(),
        TrainSettings::shipped().pretrain_epochs,
        "the plain VAE trains as long as the recipe pretrains"
    );
    assert_eq!(curve.last(), run["scores"]["accuracy"].as_f64().as_ref(), "{run}");
    // k-means on the codes of a plain VAE that saw 500 digits, scored anew after each epoch: in
    // the end above what one label for all (11%) or a random split (about 12%) gives.
    assert!(*curve.last().unwrap() > 0.15, "{curve:?}");
    assert!(curve.windows(2).any(|w| w[0] != w[1]), "each epoch scored anew: {curve:?}");
    assert!(run["initial_groups_accuracy"].is_null(), "no grouping places a mixture: {run}");
}
