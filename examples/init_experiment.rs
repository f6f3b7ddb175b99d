use std::ops::ControlFlow;
use std::time::Instant;
use burn::tensor::Device;
use mixvae::clustering::kmeans;
use mixvae::data::{default_mnist_dir, load_mnist};
use mixvae::inference::encode_dataset;
use mixvae::metrics::clustering_accuracy;
use mixvae::model::ModelConfig;
use mixvae::store::{from_safetensors_bytes, to_safetensors_bytes};
use mixvae::training::{Trainer, TrainingConfig};
use rand::SeedableRng;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let epochs: usize = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(10);
    let latent: usize = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(16);
    let n: usize = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(5000);
    let perp: f32 = args.get(4).map(|s| s.parse().unwrap()).unwrap_or(30.0);
    let (train, _) = load_mnist(&default_mnist_dir()).unwrap();
    let device = Device::flex();
    let path = format!("/tmp/ae_{epochs}_{latent}.safetensors");
    let model = if let Ok(bytes) = std::fs::read(&path) {
        from_safetensors_bytes(&bytes, &device).unwrap().0
    } else {
        let mc = ModelConfig::new().with_latent_dim(latent);
        let cfg = TrainingConfig::new(mc.clone()).with_pretrain_epochs(epochs).with_epochs(0).with_prior_init(mixvae::training::PriorInit::Random);
        let mut t = Trainer::new(cfg, train.len(), &device).unwrap();
        let s = Instant::now();
        while !t.is_finished() { pollster::block_on(t.train_epoch(&train, |_| ControlFlow::Continue(()))).unwrap(); }
        println!("AE {epochs} epochs {:.0}s", s.elapsed().as_secs_f64());
        std::fs::write(&path, to_safetensors_bytes(&t.model(), &mc).unwrap()).unwrap();
        t.model()
    };
    let sample = train.take(n);
    let enc = pollster::block_on(encode_dataset(&model, &sample, &device)).unwrap();
    let labels: Vec<usize> = sample.labels().unwrap().iter().map(|&l| l as usize).collect();
    let fit = kmeans(&enc.means, latent, 10, 10, 1);
    println!("kmeans on latent: acc {:.4}", clustering_accuracy(&fit.assignments, &labels));
    for (exag, stop, perp2) in [(12.0f32, 250usize, perp), (4.0, 1000, perp), (8.0, 1000, perp), (4.0, 1000, 50.0)] {
    for seed in [1u64, 2] {
        let s = Instant::now();
        let rows: Vec<&[f32]> = enc.means.chunks_exact(latent).collect();
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(seed);
        use rand::Rng;
        let start: Vec<f32> = (0..rows.len() * 2).map(|_| rng.gen_range(-1e-4..1e-4)).collect();
        let emb = bhtsne::tSNE::<f32, &[f32], 2>::new(&rows).initial_embedding(start).perplexity(perp2).epochs(1000)
            .early_exaggeration(exag).stop_lying_epoch(stop)
            .barnes_hut(0.5, |a, b| a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt()).embedding();
        let t = s.elapsed().as_secs_f64();
        let fit2 = kmeans(&emb, 2, 10, 10, 1);
        println!("exag {exag} stop {stop} perp {perp2} seed {seed}: tsne {t:.1}s  kmeans acc {:.4}", clustering_accuracy(&fit2.assignments, &labels));
    }
    }
}
