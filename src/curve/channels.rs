//! Per-channel responses: one curve for both ears, or separate left and right curves.

use super::response::Response;
use serde::{Deserialize, Serialize};

/// Which ear a curve, filter or EQ stage belongs to (shared by the importers and the core).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Channel {
    /// Left ear (also the only curve of a mono profile).
    Left,
    /// Right ear.
    Right,
}

/// A response per ear (a headphone measurement, a correction, any per-channel curve set): `left` is used for both ears unless
/// `right` is present. Measurements often come as L/R pairs (squig.link, REW per ear).
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelResponses {
    /// The left-ear curve, or the curve for both ears.
    pub left: Response,
    /// The right-ear curve when it differs from the left.
    pub right: Option<Response>,
}

impl ChannelResponses {
    /// One curve for both ears.
    pub fn mono(curve: Response) -> Self {
        Self {
            left: curve,
            right: None,
        }
    }

    /// Separate curves for the two ears.
    pub fn stereo(left: Response, right: Response) -> Self {
        Self {
            left,
            right: Some(right),
        }
    }

    /// True when the ears have separate curves.
    pub fn is_stereo(&self) -> bool {
        self.right.is_some()
    }

    /// The curve that applies to `channel`.
    pub fn channel(&self, channel: Channel) -> &Response {
        match (channel, &self.right) {
            (Channel::Right, Some(right)) => right,
            _ => &self.left,
        }
    }

    /// The mean of the two ears in dB (the left curve for a mono profile), e.g. to show one
    /// curve or to build a single target comparison.
    pub fn average(&self) -> Response {
        match &self.right {
            Some(right) => self.left.zip_with(right, |l, r| 0.5 * (l + r)),
            None => self.left.clone(),
        }
    }

    /// Applies `f` to each curve, keeping the channel layout.
    pub fn map(&self, f: impl Fn(&Response) -> Response) -> Self {
        Self {
            left: f(&self.left),
            right: self.right.as_ref().map(f),
        }
    }

    /// Applies `f` to the curves of both profiles pairwise; the result is stereo when either
    /// input is.
    pub fn zip_with(&self, other: &Self, f: impl Fn(&Response, &Response) -> Response) -> Self {
        let left = f(&self.left, &other.left);
        let right = if self.is_stereo() || other.is_stereo() {
            Some(f(
                self.channel(Channel::Right),
                other.channel(Channel::Right),
            ))
        } else {
            None
        };
        Self { left, right }
    }

    /// The channels in output order with their curves: left only for one curve for both
    /// ears, else left then right.
    pub fn channels(&self) -> Vec<(Channel, &Response)> {
        match &self.right {
            Some(right) => vec![(Channel::Left, &self.left), (Channel::Right, right)],
            None => vec![(Channel::Left, &self.left)],
        }
    }

    /// The curves present (one or two).
    pub fn curves(&self) -> impl Iterator<Item = &Response> {
        std::iter::once(&self.left).chain(self.right.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_profiles_answer_left_for_both_ears() {
        let p = ChannelResponses::mono(Response::flat().offset(2.0));
        assert_eq!(p.channel(Channel::Right).gain_at(500.0), 2.0);
        assert!(!p.is_stereo());
        assert_eq!(p.curves().count(), 1);
    }

    #[test]
    fn stereo_zip_and_average() {
        let a =
            ChannelResponses::stereo(Response::flat().offset(1.0), Response::flat().offset(3.0));
        let b = ChannelResponses::mono(Response::flat().offset(10.0));
        let sum = a.zip_with(&b, |x, y| x.plus(y));
        assert_eq!(sum.channel(Channel::Left).gain_at(1e3), 11.0);
        assert_eq!(sum.channel(Channel::Right).gain_at(1e3), 13.0);
        assert_eq!(a.average().gain_at(1e3), 2.0);
        assert_eq!(
            a.map(|r| r.scaled(2.0))
                .channel(Channel::Right)
                .gain_at(1e3),
            6.0
        );
    }
}
