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
    for seed in [7u64, 42, 11, 12, 13] {
        let s = Instant::now();
        let emb = mixvae::clustering::tsne_2d(&enc.means, latent, perp, 1000, seed);
        let t = s.elapsed().as_secs_f64();
        let fit2 = kmeans(&emb, 2, 10, 50, seed);
        let sil_map = mixvae::metrics::silhouette(&emb[..4000], 2, &fit2.assignments[..2000]);
        let sil_lat = mixvae::metrics::silhouette(&enc.means[..2000 * latent], latent, &fit2.assignments[..2000]);
        let inertia: f32 = emb.chunks(2).zip(&fit2.assignments).map(|(p, &c)| (p[0]-fit2.centroids[2*c]).powi(2) + (p[1]-fit2.centroids[2*c+1]).powi(2)).sum();
        let spread: f32 = emb.chunks(2).map(|p| p[0]*p[0]+p[1]*p[1]).sum();
        println!("seed {seed}: tsne {t:.1}s acc {:.4} sil_map {sil_map:.4} sil_lat {sil_lat:.4} inertia/spread {:.4}", clustering_accuracy(&fit2.assignments, &labels), inertia / spread);
    }
}
