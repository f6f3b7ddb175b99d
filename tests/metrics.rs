//! Clustering scores on hand-made cases. Reference values for NMI and ARI were computed with
//! scikit-learn 1.x (`normalized_mutual_info_score`, `adjusted_rand_score`).
#![cfg(not(target_arch = "wasm32"))] // native: files, threads; tests/web.rs runs in the browser

use mixvae::metrics::{
    Scores, adjusted_rand_index, clustering_accuracy, majority_labels, normalized_mutual_information, silhouette,
};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn a_permuted_labelling_scores_one_everywhere() {
    let labels = [0, 0, 1, 1, 2, 2, 2];
    let clusters = [2, 2, 0, 0, 1, 1, 1];
    assert!(close(clustering_accuracy(&clusters, &labels), 1.0));
    assert!(close(normalized_mutual_information(&clusters, &labels), 1.0));
    assert!(close(adjusted_rand_index(&clusters, &labels), 1.0));
}

#[test]
fn accuracy_uses_the_best_one_to_one_map_not_a_greedy_one() {
    // Contingency [[5, 4], [4, 0]]: greedy takes the 5 and is left with 0 (5/13);
    // the best one-to-one map takes 4 + 4 (8/13).
    let mut clusters = vec![];
    let mut labels = vec![];
    for (c, l, n) in [(0, 0, 5), (0, 1, 4), (1, 0, 4)] {
        clusters.extend(std::iter::repeat_n(c, n));
        labels.extend(std::iter::repeat_n(l, n));
    }
    assert!(close(clustering_accuracy(&clusters, &labels), 8.0 / 13.0));
}

#[test]
fn accuracy_counts_each_label_once_when_clusters_outnumber_labels() {
    // Two clusters that both hold label 0: only one may map to it.
    let clusters = [0, 0, 1, 1, 2, 2];
    let labels = [0, 0, 0, 0, 1, 1];
    assert!(close(clustering_accuracy(&clusters, &labels), 4.0 / 6.0));
    // One cluster for everything: accuracy is the largest class share.
    assert!(close(clustering_accuracy(&[0; 6], &labels), 4.0 / 6.0));
}

#[test]
fn nmi_and_ari_match_scikit_learn() {
    let labels = [0, 0, 0, 1, 1, 1];
    let clusters = [0, 0, 1, 1, 2, 2];
    assert!((normalized_mutual_information(&clusters, &labels) - 0.5158037429793889).abs() < 1e-9);
    assert!((adjusted_rand_index(&clusters, &labels) - 0.24242424242424243).abs() < 1e-9);
    let labels = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2];
    let clusters = [1, 1, 0, 0, 0, 2, 2, 2, 2, 0];
    assert!((normalized_mutual_information(&clusters, &labels) - 0.4180179112091443).abs() < 1e-9);
    assert!((adjusted_rand_index(&clusters, &labels) - 0.16974169741697417).abs() < 1e-9);
}

#[test]
fn one_cluster_for_everything_carries_no_information() {
    let labels = [0, 1, 2, 0, 1, 2];
    let clusters = [0; 6];
    assert!(close(normalized_mutual_information(&clusters, &labels), 0.0));
    assert!(close(adjusted_rand_index(&clusters, &labels), 0.0));
}

#[test]
fn silhouette_is_near_one_for_far_apart_clusters_and_lower_for_overlapping_ones() {
    let points = [0.0, 0.0, 0.1, 0.0, 0.0, 0.1, 10.0, 10.0, 10.1, 10.0, 10.0, 10.1];
    let clusters = [0, 0, 0, 1, 1, 1];
    let apart = silhouette(&points, 2, &clusters);
    assert!(apart > 0.98, "{apart}");
    let mixed = silhouette(&points, 2, &[0, 1, 0, 1, 0, 1]);
    assert!(mixed < 0.0, "a labelling that splits both groups scores below zero: {mixed}");
}

#[test]
fn majority_label_and_share_per_cluster() {
    let clusters = [0, 0, 0, 0, 2, 2];
    let labels = [4, 4, 4, 7, 1, 1];
    let majority = majority_labels(&clusters, &labels, 3);
    assert_eq!(majority[0], Some((4, 0.75)));
    assert_eq!(majority[1], None, "cluster 1 is empty");
    assert_eq!(majority[2], Some((1, 1.0)));
}

#[test]
fn scores_count_used_clusters() {
    let points = [0.0, 0.0, 1.0, 1.0, 5.0, 5.0, 6.0, 6.0];
    let scores = Scores::compute(&[3, 3, 1, 1], &[0, 0, 1, 1], &points, 2, 4);
    assert_eq!(scores.clusters_used, 2);
    assert!(close(scores.accuracy, 1.0));
}
