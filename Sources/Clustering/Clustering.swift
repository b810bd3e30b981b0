// Clustering
