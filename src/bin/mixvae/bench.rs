//! `mixvae bench`: the native CPU figures of `npm run bench` (the browser's come from
//! scripts/bench.mjs), as one JSON object.

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::Device;
use clap::Args;
use serde::Serialize;

use mixvae::bench::{
    Throughput, TimeToAccuracy, forward_flops_per_image, median, profile_training_step, time_to_accuracy,
    training_flops_per_image, training_throughput,
};
use mixvae::data::{Dataset, IMAGE_SIDE, default_mnist_dir, load_mnist};
use mixvae::model::ModelConfig;
use mixvae::session::{Session, TrainSettings};
use mixvae::training::StepProfile;

use crate::cli::SHIPPED_MODEL;

#[derive(Args)]
pub struct BenchArgs {
    /// Where to write the JSON (it is printed too).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Batch sizes to time training at.
    #[arg(long, value_delimiter = ',', default_values_t = [64, 128, 256])]
    batches: Vec<usize>,
    /// Timed runs per batch size (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Seconds per timed run.
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// Skip the run from scratch to 0.90 accuracy (about a minute).
    #[arg(long)]
    skip_accuracy: bool,
}

/// One thread count's figures.
#[derive(Serialize)]
struct ThreadFigures {
    threads: usize,
    training: Vec<Throughput>,
    /// One training step at batch 128.
    profile: StepProfile,
    encode_ms: Latency,
    /// A K x 8 grid of samples decoded.
    generate_grid_ms: Latency,
}

#[derive(Serialize)]
pub struct Latency {
    pub samples: usize,
    pub p50: f64,
    pub p95: f64,
}

impl Latency {
    pub fn of(mut ms: Vec<f64>) -> Self {
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
        Self { samples: ms.len(), p50: median(&ms), p95: at(0.95) }
    }
}

#[derive(Serialize)]
struct NativeBench {
    backend: &'static str,
    cpu: String,
    forward_mflop_per_image: f64,
    training_mflop_per_image: f64,
    per_thread_count: Vec<ThreadFigures>,
    /// The page's default training settings from scratch, all threads.
    time_to_090: Option<TimeToAccuracy>,
    settings: TrainSettings,
}

pub fn bench_command(args: BenchArgs) -> Result<(), String> {
    let (train, test) = load_mnist(&default_mnist_dir()).map_err(|e| e.to_string())?;
    let weights = std::fs::read(SHIPPED_MODEL).map_err(|e| format!("{SHIPPED_MODEL}: {e}"))?;
    let device = Device::flex();
    let all_threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut per_thread_count = Vec::new();
    for threads in [1, all_threads].into_iter().collect::<std::collections::BTreeSet<_>>() {
        eprintln!("native CPU, {threads} thread(s)...");
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(|e| e.to_string())?;
        let figures = pool.install(|| thread_figures(&args, threads, &device, &train, &test, &weights))?;
        per_thread_count.push(figures);
    }
    let settings = TrainSettings::page_defaults();
    let time_to_090 = if args.skip_accuracy {
        None
    } else {
        eprintln!("native CPU, page defaults from scratch to 0.90 accuracy...");
        Some(pollster::block_on(time_to_accuracy(&settings, &train, &test, &device, 0.90)).map_err(|e| e.to_string())?)
    };
    let model = ModelConfig::new();
    let report = NativeBench {
        backend: "native CPU (burn flex)",
        cpu: cpu_name(),
        forward_mflop_per_image: forward_flops_per_image(&model) / 1e6,
        training_mflop_per_image: training_flops_per_image(&model) / 1e6,
        per_thread_count,
        time_to_090,
        settings,
    };
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    if let Some(out) = &args.out {
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(out, &json).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    println!("{json}");
    Ok(())
}

fn thread_figures(
    args: &BenchArgs,
    threads: usize,
    device: &Device,
    train: &Dataset,
    test: &Dataset,
    weights: &[u8],
) -> Result<ThreadFigures, String> {
    let mut training = Vec::new();
    for &batch in &args.batches {
        let figures = pollster::block_on(training_throughput(device, train, batch, 3, args.runs, args.seconds))
            .map_err(|e| e.to_string())?;
        eprintln!("  batch {batch}: {:.0} images/s, {:.1} GFLOP/s", figures.median_images_per_second, figures.gflops);
        training.push(figures);
    }
    let profile = pollster::block_on(profile_training_step(device, train, 128, 3, 20)).map_err(|e| e.to_string())?;

    let session = Session::new(device.clone(), weights, "shipped", None, vec![]).map_err(|e| e.to_string())?;
    let drawing = drawing_of(test, 0);
    let side = (IMAGE_SIDE * 10) as u32;
    let mut encode = Vec::new();
    for _ in 0..110 {
        let start = Instant::now();
        pollster::block_on(session.classify(&drawing, side, side)).map_err(|e| e.to_string())?;
        encode.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let mut grid = Vec::new();
    for seed in 0..22 {
        let start = Instant::now();
        pollster::block_on(session.generate(8, seed, false)).map_err(|e| e.to_string())?;
        grid.push(start.elapsed().as_secs_f64() * 1e3);
    }
    // The first calls of each warm up caches and are left out.
    Ok(ThreadFigures {
        threads,
        training,
        profile,
        encode_ms: Latency::of(encode.split_off(10)),
        generate_grid_ms: Latency::of(grid.split_off(2)),
    })
}

/// Test image `index` drawn 10x larger (280 x 280), as a drawing on the page would arrive.
pub fn drawing_of(test: &Dataset, index: usize) -> Vec<u8> {
    let image = test.image(index);
    let side = IMAGE_SIDE * 10;
    (0..side * side).map(|i| image[(i / side / 10) * IMAGE_SIDE + (i % side) / 10]).collect()
}

fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}
