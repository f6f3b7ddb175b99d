"""PyTorch eager reference for `npm run bench:gpu`: the shipped architecture and the mixture
ELBO (src/model.rs, src/loss.rs) trained with Adam on MNIST, timed as `mixvae bench` times burn:
warm-up, then timed runs of about a second, median images/s. Prints one JSON object.

Usage: python3 torch_reference.py DATA_DIR [--batches 128,256,1024,4096] [--runs 5]
DATA_DIR holds train-images-idx3-ubyte(.gz). Needs torch with CUDA; no other package.
"""
import argparse, gzip, json, math, os, statistics, struct, time

import torch
import torch.nn.functional as F


def load_images(data_dir):
    for name in ("train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            raw = (gzip.open if name.endswith(".gz") else open)(path, "rb").read()
            magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
            assert magic == 2051, "not an IDX image file"
            return torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).view(n, rows * cols)
    raise SystemExit(f"no train-images-idx3-ubyte(.gz) in {data_dir}")


class ClusterVae(torch.nn.Module):
    def __init__(self, k=10, d=10, outer=512, inner=256):
        super().__init__()
        L = torch.nn.Linear
        self.enc_outer, self.enc_inner = L(784, outer), L(outer, inner)
        self.enc_mean, self.enc_logvar = L(inner, d), L(inner, d)
        self.dec_inner, self.dec_outer, self.dec_pixels = L(d, inner), L(inner, outer), L(outer, 784)
        self.prior_means = torch.nn.Parameter(torch.randn(k, d))
        self.prior_logvars = torch.nn.Parameter(torch.zeros(k, d))

    def terms(self, x):
        h = F.relu(self.enc_inner(F.relu(self.enc_outer(x))))
        mean, logvar = self.enc_mean(h), self.enc_logvar(h).clamp(-12.0, 8.0)
        z = mean + (0.5 * logvar).exp() * torch.randn_like(mean)
        logits = self.dec_pixels(F.relu(self.dec_outer(F.relu(self.dec_inner(z)))))
        rec = (logits.clamp_min(0) - x * logits + (-logits.abs()).exp().log1p()).sum(1).mean()
        k = self.prior_means.shape[0]
        zm = z.unsqueeze(1) - self.prior_means.unsqueeze(0)
        log_joint = -0.5 * (zm.pow(2) / self.prior_logvars.exp() + self.prior_logvars + math.log(2 * math.pi)).sum(2) - math.log(k)
        resp = log_joint.softmax(1)
        ratio = (logvar.exp().unsqueeze(1) + (mean.unsqueeze(1) - self.prior_means.unsqueeze(0)).pow(2)) / self.prior_logvars.exp().unsqueeze(0)
        kl_comp = 0.5 * (self.prior_logvars.unsqueeze(0) - logvar.unsqueeze(1) + ratio - 1).sum(2)
        kl_z = (resp * kl_comp).sum(1).mean()
        kl_y = (resp * (resp.clamp_min(1e-10).log() + math.log(k))).sum(1).mean()
        total = rec + kl_z + kl_y
        return torch.stack([total, rec, kl_z, kl_y, torch.zeros((), device=x.device)])


def throughput(images, batch, runs, seconds, window, device):
    torch.manual_seed(1)
    model = ClusterVae().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-5)
    gen = torch.Generator().manual_seed(1)

    def steps(n):
        unread = []
        for i in range(n):
            idx = torch.randint(0, images.shape[0], (batch,), generator=gen)
            x = images[idx].float().div_(255).to(device)
            terms = model.terms(x)
            opt.zero_grad(set_to_none=True)
            terms[0].backward()
            opt.step()
            unread.append(terms.detach())
            if len(unread) >= window or i == n - 1:
                values = torch.stack(unread).cpu()  # the read-back: waits for the GPU
                assert torch.isfinite(values).all()
                unread = []

    steps(3)
    start = time.perf_counter(); steps(1); one = time.perf_counter() - start
    per_run = max(1, min(2000, math.ceil(seconds / max(one, 1e-6))))
    rates = []
    for _ in range(runs):
        start = time.perf_counter(); steps(per_run)
        rates.append(per_run * batch / (time.perf_counter() - start))
    return {"batch_size": batch, "readback_window": window, "steps_per_run": per_run, "runs": rates,
            "median_images_per_second": statistics.median(rates)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("data_dir")
    p.add_argument("--batches", default="128,256,1024,4096")
    p.add_argument("--windows", default="1,8")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--seconds", type=float, default=1.0)
    a = p.parse_args()
    device = torch.device("cuda")
    images = load_images(a.data_dir)
    results = []
    for window in [int(w) for w in a.windows.split(",")]:
        for batch in [int(b) for b in a.batches.split(",")]:
            r = throughput(images, batch, a.runs, a.seconds, window, device)
            print(f"torch batch {batch} window {window}: {r['median_images_per_second']:.0f} images/s", flush=True, file=__import__('sys').stderr)
            results.append(r)
    print(json.dumps({"backend": f"PyTorch {torch.__version__} eager, CUDA", "device": torch.cuda.get_device_name(0),
                      "training": results}, indent=1))


if __name__ == "__main__":
    main()
