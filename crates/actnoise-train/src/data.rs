use crate::{Result, TrainError};

/// Training images grouped by class, as plain data (no dataset crate needed):
/// `images[i]` has `shape = [channels, height, width]` pixels in [0, 1].
#[derive(Debug, Clone)]
pub struct ClassImages {
    images: Vec<f32>,
    by_class: Vec<Vec<usize>>,
    shape: [usize; 3],
}

impl ClassImages {
    /// From flat images (`n · c · h · w` values) and their labels in `0..classes`.
    pub fn new(
        images: Vec<f32>,
        labels: &[usize],
        classes: usize,
        shape: [usize; 3],
    ) -> Result<Self> {
        let d: usize = shape.iter().product();
        if d == 0 || images.len() != labels.len() * d {
            return Err(TrainError::Data(format!(
                "{} pixel values for {} labels of shape {shape:?}",
                images.len(),
                labels.len()
            )));
        }
        let mut by_class = vec![Vec::new(); classes];
        for (i, &y) in labels.iter().enumerate() {
            let slot = by_class.get_mut(y).ok_or_else(|| {
                TrainError::Data(format!("label {y} of image {i} is outside 0..{classes}"))
            })?;
            slot.push(i);
        }
        if let Some(c) = by_class.iter().position(Vec::is_empty) {
            return Err(TrainError::Data(format!(
                "class {c} has no training image: every class needs its own autoencoder data"
            )));
        }
        Ok(Self { images, by_class, shape })
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.by_class.len()
    }

    /// `[channels, height, width]`.
    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// Image indices of each class.
    pub fn by_class(&self) -> &[Vec<usize>] {
        &self.by_class
    }

    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[f32] {
        let d: usize = self.shape.iter().product();
        &self.images[i * d..(i + 1) * d]
    }
}
