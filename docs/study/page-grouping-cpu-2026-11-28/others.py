import sys, time, warnings
import numpy as np
warnings.filterwarnings('ignore')
from sklearn.cluster import KMeans, AgglomerativeClustering
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import kneighbors_graph
from sklearn.preprocessing import normalize
from digits import acc, lab
codes = np.fromfile(sys.argv[1], dtype=np.float32).reshape(-1, 10)
n = int(sys.argv[2]); codes = codes[:n]; y = lab[:n]
z = (codes - codes.mean(0)) / codes.std(0)
print('kmeans std', acc(KMeans(10, n_init=10, random_state=0).fit_predict(z), y))
print('kmeans cosine', acc(KMeans(10, n_init=10, random_state=0).fit_predict(normalize(codes)), y))
for s in (0, 1):
    print('gmm full', s, acc(GaussianMixture(10, covariance_type='full', n_init=3, random_state=s).fit_predict(codes), y))
C = kneighbors_graph(codes, 10, include_self=False)
for link in ('ward', 'average'):
    print('agglo knn', link, acc(AgglomerativeClustering(10, linkage=link, connectivity=C).fit_predict(codes), y))
