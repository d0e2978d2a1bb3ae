//! The in-memory dataset: u8 CHW images, labels, class names.

use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::error::{Error, Result};

/// A labelled image set held in memory.
///
/// Images are stored as `u8` in CHW order (channel planes, each row-major), one after the
/// other; image `i` is `images()[i * c*h*w .. (i + 1) * c*h*w]`. Labels index
/// [`class_names`](Dataset::class_names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    images: Vec<u8>,
    labels: Vec<usize>,
    class_names: Vec<String>,
    shape: [usize; 3],
}

/// A train and a test set with the same classes and image shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// Training images.
    pub train: Dataset,
    /// Test images.
    pub test: Dataset,
}

impl Dataset {
    /// Builds a dataset from CHW `u8` images laid end to end.
    ///
    /// `shape` is `[channels, height, width]`. Fails when a dimension is 0, when
    /// `images.len() != labels.len() * c*h*w`, or when a label is `>= class_names.len()`.
    pub fn new(
        images: Vec<u8>,
        labels: Vec<usize>,
        class_names: Vec<String>,
        shape: [usize; 3],
    ) -> Result<Self> {
        let per = shape.iter().product::<usize>();
        if per == 0 {
            return Err(Error::Inconsistent(format!("image shape {shape:?} has a zero dimension")));
        }
        if Some(images.len()) != labels.len().checked_mul(per) {
            return Err(Error::Inconsistent(format!(
                "{} pixel bytes for {} labels of shape {shape:?} (expected {} bytes)",
                images.len(),
                labels.len(),
                labels.len().saturating_mul(per)
            )));
        }
        if let Some((i, &l)) = labels.iter().enumerate().find(|&(_, &l)| l >= class_names.len()) {
            return Err(Error::Inconsistent(format!(
                "label {l} of image {i} is not below the number of classes {}",
                class_names.len()
            )));
        }
        Ok(Self { images, labels, class_names, shape })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Channels per image (3 for RGB, 1 for grey).
    pub fn channels(&self) -> usize {
        self.shape[0]
    }

    /// Image height in pixels.
    pub fn height(&self) -> usize {
        self.shape[1]
    }

    /// Image width in pixels.
    pub fn width(&self) -> usize {
        self.shape[2]
    }

    /// `[channels, height, width]`.
    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// Bytes per image, `c * h * w`.
    pub fn image_len(&self) -> usize {
        self.shape.iter().product()
    }

    /// All pixels, image after image, each CHW.
    pub fn images(&self) -> &[u8] {
        &self.images
    }

    /// The CHW pixels of image `index`, or `None` past the end.
    pub fn image(&self, index: usize) -> Option<&[u8]> {
        let n = self.image_len();
        self.images.get(index.checked_mul(n)?..(index + 1).checked_mul(n)?)
    }

    /// The label of every image.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// Class names; label `k` is `class_names()[k]`.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// Number of classes (including classes with no image here).
    pub fn num_classes(&self) -> usize {
        self.class_names.len()
    }

    /// Images per class, indexed by label.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes()];
        for &l in &self.labels {
            counts[l] += 1;
        }
        counts
    }

    /// The indices of the images of each class, in dataset order; `by_class()[k]` lists
    /// class `k`.
    pub fn by_class(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.num_classes()];
        for (i, &l) in self.labels.iter().enumerate() {
            out[l].push(i);
        }
        out
    }

    /// A new dataset made of the images at `indices`, in that order (repeats allowed).
    pub fn select(&self, indices: &[usize]) -> Result<Self> {
        let n = self.image_len();
        let mut images = Vec::with_capacity(indices.len() * n);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            images.extend_from_slice(self.image_checked(i)?);
            labels.push(self.labels[i]);
        }
        Ok(Self { images, labels, class_names: self.class_names.clone(), shape: self.shape })
    }

    /// The first `n` images of every class (all of a class that has fewer), keeping dataset
    /// order. `n == 0` keeps everything.
    pub fn subset_per_class(&self, n: usize) -> Self {
        if n == 0 {
            return self.clone();
        }
        let mut taken = vec![0usize; self.num_classes()];
        let keep: Vec<usize> = (0..self.len())
            .filter(|&i| {
                let t = &mut taken[self.labels[i]];
                *t += 1;
                *t <= n
            })
            .collect();
        self.gather(&keep)
    }

    /// The images in a random order fixed by `seed` (Fisher–Yates shuffle from `rand` 0.9
    /// driven by `Xoshiro256PlusPlus::seed_from_u64(seed)`; the order for a seed is stable).
    pub fn shuffled(&self, seed: u64) -> Self {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(seed));
        self.gather(&order)
    }

    /// Pixels of the images at `indices` scaled to `[0, 1]` (`v / 255`), as one
    /// `[B, C, H, W]` row-major block, and that shape.
    pub fn batch_f32(&self, indices: &[usize]) -> Result<(Vec<f32>, [usize; 4])> {
        let mut out = Vec::with_capacity(indices.len() * self.image_len());
        for &i in indices {
            out.extend(self.image_checked(i)?.iter().map(|&v| f32::from(v) / 255.0));
        }
        let [c, h, w] = self.shape;
        Ok((out, [indices.len(), c, h, w]))
    }

    /// The labels of the images at `indices`.
    pub fn batch_labels(&self, indices: &[usize]) -> Result<Vec<usize>> {
        indices
            .iter()
            .map(|&i| self.labels.get(i).copied().ok_or(Error::Index { index: i, len: self.len() }))
            .collect()
    }

    /// [`batch_f32`](Self::batch_f32) as a float tensor of shape `[B, C, H, W]` on `device`.
    pub fn to_tensor(&self, indices: &[usize], device: &Device) -> Result<Tensor<4>> {
        let (values, shape) = self.batch_f32(indices)?;
        Ok(Tensor::from_data(TensorData::new(values, shape), device))
    }

    /// The labels of the images at `indices` as an int tensor of shape `[B]` on `device`.
    pub fn labels_tensor(&self, indices: &[usize], device: &Device) -> Result<Tensor<1, Int>> {
        let labels: Vec<i64> = self.batch_labels(indices)?.into_iter().map(|l| l as i64).collect();
        let n = labels.len();
        Ok(Tensor::from_data(TensorData::new(labels, [n]), device))
    }

    /// Keeps only the classes `keep` (old labels), relabelled `0..keep.len()` in that order.
    pub(crate) fn keep_classes(&self, keep: &[usize]) -> Self {
        let mut map = vec![usize::MAX; self.num_classes()];
        for (new, &old) in keep.iter().enumerate() {
            map[old] = new;
        }
        let n = self.image_len();
        let mut images = Vec::new();
        let mut labels = Vec::new();
        for (i, &l) in self.labels.iter().enumerate() {
            if map[l] != usize::MAX {
                images.extend_from_slice(&self.images[i * n..(i + 1) * n]);
                labels.push(map[l]);
            }
        }
        let class_names = keep.iter().map(|&k| self.class_names[k].clone()).collect();
        Self { images, labels, class_names, shape: self.shape }
    }

    /// Appends `other`'s images (same classes and shape).
    pub(crate) fn append(&mut self, other: Dataset) -> Result<()> {
        if other.shape != self.shape || other.class_names != self.class_names {
            return Err(Error::Inconsistent(format!(
                "cannot join sets of shapes {:?} and {:?} with {} and {} classes",
                self.shape,
                other.shape,
                self.num_classes(),
                other.num_classes()
            )));
        }
        self.images.extend(other.images);
        self.labels.extend(other.labels);
        Ok(())
    }

    fn image_checked(&self, index: usize) -> Result<&[u8]> {
        self.image(index).ok_or(Error::Index { index, len: self.len() })
    }

    /// `select` for indices known to be in range.
    fn gather(&self, indices: &[usize]) -> Self {
        let n = self.image_len();
        let mut images = Vec::with_capacity(indices.len() * n);
        for &i in indices {
            images.extend_from_slice(&self.images[i * n..(i + 1) * n]);
        }
        let labels = indices.iter().map(|&i| self.labels[i]).collect();
        Self { images, labels, class_names: self.class_names.clone(), shape: self.shape }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Dataset {
        // 6 images of 1x1x2, labels 0 1 0 2 1 0.
        let labels = vec![0, 1, 0, 2, 1, 0];
        let images = (0..12).map(|v| v as u8 * 20).collect();
        let names = ["a", "b", "c"].map(String::from).to_vec();
        Dataset::new(images, labels, names, [1, 1, 2]).unwrap()
    }

    #[test]
    fn dataset_new_rejects_inconsistent_parts() {
        let names = vec!["a".to_string()];
        assert!(Dataset::new(vec![0; 3], vec![0], names.clone(), [1, 1, 2]).is_err());
        assert!(Dataset::new(vec![0; 2], vec![1], names.clone(), [1, 1, 2]).is_err());
        assert!(Dataset::new(vec![], vec![], names, [0, 1, 2]).is_err());
    }

    #[test]
    fn dataset_subset_per_class_keeps_first_n_in_order() {
        let d = tiny().subset_per_class(1);
        assert_eq!(d.labels(), &[0, 1, 2]);
        assert_eq!(d.images(), &[0, 20, 40, 60, 120, 140]);
        assert_eq!(tiny().subset_per_class(0), tiny());
        assert_eq!(tiny().subset_per_class(2).class_counts(), vec![2, 2, 1]);
    }

    #[test]
    fn dataset_by_class_lists_indices() {
        assert_eq!(tiny().by_class(), vec![vec![0, 2, 5], vec![1, 4], vec![3]]);
    }

    #[test]
    fn dataset_shuffled_is_a_seeded_permutation() {
        let d = tiny();
        let a = d.shuffled(7);
        assert_eq!(a, d.shuffled(7));
        assert_ne!(a.labels(), d.shuffled(8).labels());
        let mut la = a.labels().to_vec();
        la.sort();
        assert_eq!(la, vec![0, 0, 0, 1, 1, 2]);
        // each image keeps its label
        for i in 0..a.len() {
            let orig = (a.image(i).unwrap()[0] / 40) as usize;
            assert_eq!(a.labels()[i], d.labels()[orig]);
        }
    }

    #[test]
    fn dataset_shuffled_value_stability() {
        // Pins the order for seed 0 so that a change of RNG or algorithm is noticed.
        let labels: Vec<usize> = (0..10).collect();
        let names = (0..10).map(|i| i.to_string()).collect();
        let d = Dataset::new((0..10).collect(), labels, names, [1, 1, 1]).unwrap();
        assert_eq!(d.shuffled(0).labels(), &[3, 0, 5, 8, 6, 1, 2, 7, 9, 4]);
    }

    #[test]
    fn dataset_batch_f32_scales_and_shapes() {
        let (v, shape) = tiny().batch_f32(&[3, 0]).unwrap();
        assert_eq!(shape, [2, 1, 1, 2]);
        assert_eq!(v, vec![120.0 / 255.0, 140.0 / 255.0, 0.0, 20.0 / 255.0]);
        assert!(matches!(tiny().batch_f32(&[6]), Err(Error::Index { index: 6, len: 6 })));
        assert!(tiny().select(&[9]).is_err());
    }

    #[test]
    fn dataset_keep_classes_relabels_in_given_order() {
        let d = tiny().keep_classes(&[2, 0]);
        assert_eq!(d.class_names(), &["c", "a"]);
        assert_eq!(d.labels(), &[1, 1, 0, 1]);
    }
}
