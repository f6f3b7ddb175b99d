# Spectral clustering of pretrained codes (kNN graph in code space), against the digits.
import sys, time, warnings
import numpy as np
warnings.filterwarnings('ignore')
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.mixture import GaussianMixture
from digits import acc, lab
path = sys.argv[1]
codes = np.fromfile(path, dtype=np.float32).reshape(-1, 10)
n = int(sys.argv[2]) if len(sys.argv) > 2 else len(codes)
codes = codes[:n]; y = lab[:n]
print(path, n, 'kmeans', round(acc(KMeans(10, n_init=10, random_state=0).fit_predict(codes), y), 4))
for nn in (10, 15, 30):
    for seed in (0, 1, 2):
        t = time.time()
        sc = SpectralClustering(10, affinity='nearest_neighbors', n_neighbors=nn, assign_labels='kmeans', random_state=seed, n_init=10)
        g = sc.fit_predict(codes)
        print(f'  spectral knn={nn} seed={seed}: {acc(g, y):.4f} ({time.time()-t:.1f} s)', flush=True)
    g = SpectralClustering(10, affinity='nearest_neighbors', n_neighbors=nn, assign_labels='cluster_qr', random_state=0).fit_predict(codes)
    print(f'  spectral knn={nn} cluster_qr: {acc(g, y):.4f}', flush=True)
