use std::ops::ControlFlow;
use std::time::Instant;
use burn::tensor::Device;
use mixvae::clustering::kmeans;
use mixvae::data::{default_mnist_dir, load_mnist};
use mixvae::inference::encode_dataset;
use mixvae::metrics::clustering_accuracy;
use mixvae::model::ModelConfig;
use mixvae::training::{Trainer, TrainingConfig};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let epochs: usize = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(10);
    let latent: usize = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(16);
    let n: usize = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(5000);
    let (train, _) = load_mnist(&default_mnist_dir()).unwrap();
    let device = Device::flex();
    let cfg = TrainingConfig::new(ModelConfig::new().with_latent_dim(latent)).with_pretrain_epochs(epochs).with_epochs(0).with_init_prior_from_data(false);
    let mut t = Trainer::new(cfg, train.len(), &device).unwrap();
    let s = Instant::now();
    while !t.is_finished() { pollster::block_on(t.train_epoch(&train, |_| ControlFlow::Continue(()))).unwrap(); }
    println!("AE {epochs} epochs {:.0}s", s.elapsed().as_secs_f64());
    let sample = train.take(n);
    let enc = pollster::block_on(encode_dataset(&t.model(), &sample, &device)).unwrap();
    let labels: Vec<usize> = sample.labels().unwrap().iter().map(|&l| l as usize).collect();
    let fit = kmeans(&enc.means, latent, 10, 10, 1);
    println!("kmeans on latent: acc {:.4}", clustering_accuracy(&fit.assignments, &labels));
    let s = Instant::now();
    let rows: Vec<&[f32]> = enc.means.chunks(latent).collect();
    let emb = bhtsne::tSNE::<f32, &[f32], 2>::new(&rows).perplexity(30.0).epochs(1000)
        .barnes_hut(0.5, |a, b| a.iter().zip(b.iter()).map(|(x, y)| (x - y).powi(2)).sum::<f32>().sqrt()).embedding();
    println!("tsne {:.1}s", s.elapsed().as_secs_f64());
    let fit2 = kmeans(&emb, 2, 10, 10, 1);
    println!("tsne+kmeans: acc {:.4}", clustering_accuracy(&fit2.assignments, &labels));
    let raw: Vec<f32> = (0..n).flat_map(|i| sample.image(i).iter().map(|&p| p as f32 / 255.0).collect::<Vec<_>>()).collect();
    let rows: Vec<&[f32]> = raw.chunks(784).collect();
    let s = Instant::now();
    let emb = bhtsne::tSNE::<f32, &[f32], 2>::new(&rows).perplexity(30.0).epochs(1000)
        .barnes_hut(0.5, |a, b| a.iter().zip(b.iter()).map(|(x, y)| (x - y).powi(2)).sum::<f32>().sqrt()).embedding();
    println!("raw tsne {:.1}s", s.elapsed().as_secs_f64());
    let fit3 = kmeans(&emb, 2, 10, 10, 1);
    println!("raw tsne+kmeans: acc {:.4}", clustering_accuracy(&fit3.assignments, &labels));
}
