# Evidence accumulation: co-association of several groupings of t-SNE maps, then average linkage.
import sys, glob, warnings
import numpy as np
warnings.filterwarnings('ignore')
from sklearn.cluster import KMeans, AgglomerativeClustering
from sklearn.mixture import GaussianMixture
from digits import acc, lab
maps = [np.fromfile(f, dtype=np.float32).reshape(-1, 2) for f in sorted(glob.glob(sys.argv[1] + '/map-*.f32'))]
y = lab[:len(maps[0])]
groupings = []
for e in maps:
    for k in (10, 15, 20):
        groupings.append(KMeans(k, n_init=5, random_state=0).fit_predict(e))
print('members (k=10 only):', [round(acc(g, y), 3) for g in groupings[::3]])
n = len(y)
co = np.zeros((n, n), dtype=np.float32)
for g in groupings:
    co += (g[:, None] == g[None, :])
co /= len(groupings)
for link in ('average', 'complete', 'single'):
    g = AgglomerativeClustering(10, metric='precomputed', linkage=link).fit_predict(1 - co)
    print(link, round(acc(g, y), 4), 'sizes', sorted(np.bincount(g))[:3])
