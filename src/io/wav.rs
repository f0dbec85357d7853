//! WAV in and out (through `hound`) for `refcan render` and the FIR export: 8/16/24/32-bit
//! integer and 32-bit float in, 32-bit float out, one or two channels, any rate.

use std::path::Path;

/// Audio read from a WAV file: one vector of samples per channel, in −1…1 for integer files.
#[derive(Debug, Clone, PartialEq)]
pub struct WavAudio {
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Samples per channel.
    pub channels: Vec<Vec<f32>>,
}

/// Most channels a file may have (Refcan is a mono or stereo plugin).
pub const MAX_CHANNELS: usize = 2;

/// Longest file read, in frames (an hour at 192 kHz): a bigger one is refused before it is
/// read, not half-loaded.
pub const MAX_FRAMES: u64 = 192_000 * 3600;

/// Reads `path`. Errors name the file and say what was expected.
pub fn read(path: &Path) -> Result<WavAudio, String> {
    let file = std::fs::File::open(path)
        .map_err(|e| format!("{}: cannot open the file: {e}", path.display()))?;
    read_from(&path.display().to_string(), std::io::BufReader::new(file))
}

/// Reads a WAV file from `source` (a file, or bytes in memory for tests and the fuzzer);
/// `name` names it in errors.
pub fn read_from(name: &str, source: impl std::io::Read) -> Result<WavAudio, String> {
    let mut reader = hound::WavReader::new(source)
        .map_err(|e| format!("{name}: not a readable WAV file: {e}"))?;
    let spec = reader.spec();
    let n_channels = usize::from(spec.channels);
    if n_channels == 0 || n_channels > MAX_CHANNELS {
        return Err(format!(
            "{name}: {n_channels} channels; Refcan renders mono or stereo files"
        ));
    }
    if u64::from(reader.duration()) > MAX_FRAMES {
        return Err(format!(
            "{name}: {} frames is longer than the {MAX_FRAMES} Refcan renders",
            reader.duration()
        ));
    }
    let expected_samples = reader.len();
    let damaged = |e: hound::Error| {
        format!(
            "{name}: the sample data is cut short or damaged (the header announces \
             {expected_samples} samples): {e}"
        )
    };
    let interleaved: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => reader
            .samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(damaged)?,
        (hound::SampleFormat::Int, bits @ 8..=32) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f64;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| (f64::from(v) * scale) as f32))
                .collect::<Result<_, _>>()
                .map_err(damaged)?
        }
        (format, bits) => {
            return Err(format!(
                "{name}: {bits}-bit {format:?} samples; expected 8/16/24/32-bit integer or \
                 32-bit float"
            ));
        }
    };
    let mut channels = vec![Vec::with_capacity(interleaved.len() / n_channels); n_channels];
    for frame in interleaved.chunks_exact(n_channels) {
        for (ch, &x) in channels.iter_mut().zip(frame) {
            ch.push(x);
        }
    }
    Ok(WavAudio {
        sample_rate_hz: spec.sample_rate,
        channels,
    })
}

/// Writes `channels` (equal lengths) as a 32-bit float WAV at `sample_rate_hz`.
pub fn write_f32(path: &Path, sample_rate_hz: u32, channels: &[Vec<f32>]) -> Result<(), String> {
    let name = path.display();
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: sample_rate_hz,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer =
        hound::WavWriter::create(path, spec).map_err(|e| format!("{name}: cannot write: {e}"))?;
    let frames = channels.iter().map(Vec::len).min().unwrap_or(0);
    for i in 0..frames {
        for ch in channels {
            writer
                .write_sample(ch[i])
                .map_err(|e| format!("{name}: cannot write: {e}"))?;
        }
    }
    writer
        .finalize()
        .map_err(|e| format!("{name}: cannot write: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_and_float_files_read_back_scaled() {
        let dir = tempfile::tempdir().expect("dir");
        let values = [0.0f32, 0.5, -0.5, 0.25];
        for (bits, format) in [
            (16, hound::SampleFormat::Int),
            (24, hound::SampleFormat::Int),
            (32, hound::SampleFormat::Int),
            (32, hound::SampleFormat::Float),
        ] {
            let path = dir.path().join(format!("{bits}-{format:?}.wav"));
            let spec = hound::WavSpec {
                channels: 2,
                sample_rate: 44_100,
                bits_per_sample: bits,
                sample_format: format,
            };
            let mut w = hound::WavWriter::create(&path, spec).expect("create");
            for &v in &values {
                for ch in 0..2 {
                    let x = if ch == 0 { v } else { -v };
                    match format {
                        hound::SampleFormat::Float => w.write_sample(x).expect("write"),
                        hound::SampleFormat::Int => w
                            .write_sample((f64::from(x) * (1u64 << (bits - 1)) as f64) as i32)
                            .expect("write"),
                    }
                }
            }
            w.finalize().expect("finalize");
            let audio = read(&path).expect("read");
            assert_eq!(audio.sample_rate_hz, 44_100);
            assert_eq!(audio.channels[0], values, "{bits} {format:?}");
            let neg: Vec<f32> = values.iter().map(|v| -v).collect();
            assert_eq!(audio.channels[1], neg);
        }
        // Round trip of the float writer.
        let path = dir.path().join("out.wav");
        write_f32(&path, 96_000, &[values.to_vec()]).expect("write");
        let back = read(&path).expect("read");
        assert_eq!(
            (back.sample_rate_hz, back.channels),
            (96_000, vec![values.to_vec()])
        );
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("junk.wav");
        std::fs::write(&path, b"RIFF not really").expect("write");
        let err = read(&path).unwrap_err();
        assert!(err.contains("junk.wav") && err.contains("WAV"), "{err}");
        let path = dir.path().join("six.wav");
        let spec = hound::WavSpec {
            channels: 6,
            sample_rate: 48_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        hound::WavWriter::create(&path, spec)
            .expect("create")
            .finalize()
            .expect("finalize");
        assert!(read(&path).unwrap_err().contains("6 channels"));
    }
}
