import numpy as np, sys, glob, warnings
warnings.filterwarnings('ignore')
from sklearn.cluster import KMeans, AgglomerativeClustering, SpectralClustering
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import kneighbors_graph
from digits import acc, lab
def overseg_merge(e, k=10, over=50, link='single'):
    km = KMeans(over, n_init=3, random_state=0).fit(e)
    sub = km.labels_
    # merge sub-clusters: agglomerative on sub-cluster centroids with connectivity by kNN of points
    # distance between sub-clusters = min point distance (single) approximated via kNN graph edges
    from scipy.sparse.csgraph import minimum_spanning_tree
    G = kneighbors_graph(e, 10, mode='distance')
    D = np.full((over, over), np.inf)
    G = G.tocoo()
    for i, j, d in zip(G.row, G.col, G.data):
        a, b = sub[i], sub[j]
        if a != b and d < D[a, b]: D[a, b] = D[b, a] = d
    # single linkage merge of sub-clusters by smallest gap until k remain
    parent = list(range(over))
    def find(x):
        while parent[x] != x: x = parent[x]
        return x
    edges = sorted((D[a, b], a, b) for a in range(over) for b in range(a+1, over) if np.isfinite(D[a, b]))
    n = over
    for d, a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb; n -= 1
            if n == k: break
    roots = {r: i for i, r in enumerate(sorted(set(find(x) for x in range(over))))}
    return np.array([roots[find(s)] for s in sub])
for f in sorted(glob.glob(sys.argv[1] + '/map-*.f32')):
    e = np.fromfile(f, dtype=np.float32).reshape(-1, 2); y = lab[:len(e)]
    res = {}
    res['kmeans'] = acc(KMeans(10, n_init=20, random_state=0).fit_predict(e), y)
    res['gmm'] = acc(GaussianMixture(10, n_init=5, random_state=0).fit_predict(e), y)
    res['ward'] = acc(AgglomerativeClustering(10, linkage='ward').fit_predict(e), y)
    res['single-over50'] = acc(overseg_merge(e), y)
    res['spectral-map'] = acc(SpectralClustering(10, affinity='nearest_neighbors', n_neighbors=15, random_state=0, assign_labels='cluster_qr').fit_predict(e), y)
    print(f.split('/')[-1], ' '.join(f'{k} {v:.4f}' for k, v in res.items()), flush=True)
