//! YUV4MPEG2 (Y4M) files: raw I420 video with a one-line header, as ffmpeg and browsers' fake
//! cameras use. Read as a source, written by recorders.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::MediaError;
use super::clock::SharedClock;
use super::frame::{VideoFrame, check_dimensions};
use super::source::{Source, SourceInfo, SourceKind};

const MAGIC: &str = "YUV4MPEG2";
const MAX_LINE: usize = 1024;

/// What a Y4M header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Y4mHeader {
    /// Picture width.
    pub width: u32,
    /// Picture height.
    pub height: u32,
    /// Frame rate numerator.
    pub fps_num: u32,
    /// Frame rate denominator.
    pub fps_den: u32,
}

impl Y4mHeader {
    /// Parses a header line (without its newline).
    pub fn parse(line: &[u8]) -> Result<Self, MediaError> {
        let line = std::str::from_utf8(line).map_err(|_| MediaError::corrupt("Y4M", "header is not text"))?;
        let mut parts = line.split(' ');
        if parts.next() != Some(MAGIC) {
            return Err(MediaError::corrupt("Y4M", "missing YUV4MPEG2 signature"));
        }
        let (mut width, mut height, mut fps) = (None, None, (30, 1));
        for p in parts.filter(|p| !p.is_empty()) {
            // The tag is one character, which in a hostile file need not be one byte.
            let mut chars = p.chars();
            let (tag, value) = (chars.next(), chars.as_str());
            match tag {
                Some('W') => width = value.parse().ok(),
                Some('H') => height = value.parse().ok(),
                Some('F') => {
                    let (n, d) = value
                        .split_once(':')
                        .ok_or_else(|| MediaError::corrupt("Y4M", format!("frame rate {value}")))?;
                    fps = (
                        n.parse().map_err(|_| MediaError::corrupt("Y4M", format!("frame rate {value}")))?,
                        d.parse().map_err(|_| MediaError::corrupt("Y4M", format!("frame rate {value}")))?,
                    );
                }
                Some('C') if !value.starts_with("420") => {
                    return Err(MediaError::Unsupported {
                        format: "Y4M",
                        why: format!("colour space C{value}; only 4:2:0"),
                    });
                }
                Some('I') if value != "p" && value != "?" => {
                    return Err(MediaError::Unsupported { format: "Y4M", why: "interlaced video".into() });
                }
                _ => {}
            }
        }
        let (Some(width), Some(height)) = (width, height) else {
            return Err(MediaError::corrupt("Y4M", "header lacks W or H"));
        };
        check_dimensions(width, height)?;
        if fps.0 == 0 || fps.1 == 0 || fps.0 / fps.1 > 240 {
            return Err(MediaError::corrupt("Y4M", format!("frame rate {}:{}", fps.0, fps.1)));
        }
        Ok(Self { width, height, fps_num: fps.0, fps_den: fps.1 })
    }
}

fn read_line(r: &mut impl BufRead, what: &str) -> Result<Option<Vec<u8>>, MediaError> {
    let mut line = Vec::new();
    let n = r
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut line)
        .map_err(|e| MediaError::corrupt("Y4M", e.to_string()))?;
    if n == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(MediaError::corrupt("Y4M", format!("{what} line is truncated or longer than {MAX_LINE} bytes")));
    }
    line.pop();
    Ok(Some(line))
}

/// Reads frames from a Y4M stream.
pub struct Y4mReader<R> {
    reader: R,
    header: Y4mHeader,
    seq: u64,
}

impl<R: BufRead> Y4mReader<R> {
    /// Reads the header.
    pub fn new(mut reader: R) -> Result<Self, MediaError> {
        let line = read_line(&mut reader, "header")?.ok_or_else(|| MediaError::corrupt("Y4M", "empty file"))?;
        let header = Y4mHeader::parse(&line)?;
        Ok(Self { reader, header, seq: 0 })
    }

    /// The stream's header.
    pub fn header(&self) -> Y4mHeader {
        self.header
    }

    /// The next picture (timestamps zero), None at a clean end of file.
    pub fn read_frame(&mut self) -> Result<Option<VideoFrame>, MediaError> {
        let Some(line) = read_line(&mut self.reader, "FRAME")? else { return Ok(None) };
        if !line.starts_with(b"FRAME") {
            return Err(MediaError::corrupt("Y4M", format!("frame {} does not start with FRAME", self.seq)));
        }
        let mut data = vec![0u8; VideoFrame::byte_len(self.header.width, self.header.height)];
        self.reader.read_exact(&mut data).map_err(|_| {
            MediaError::corrupt("Y4M", format!("frame {} is truncated (file ends inside it)", self.seq))
        })?;
        let frame = VideoFrame::from_i420(self.header.width, self.header.height, data, 0, self.seq)?;
        self.seq += 1;
        Ok(Some(frame))
    }
}

/// Writes I420 pictures as a Y4M file.
pub struct Y4mWriter<W: Write> {
    out: W,
    size: Option<(u32, u32)>,
    fps: u32,
}

impl Y4mWriter<BufWriter<File>> {
    /// Creates (or replaces) `path`.
    pub fn create(path: &Path, fps: u32) -> Result<Self, MediaError> {
        let f = File::create(path).map_err(|e| MediaError::io(path, e))?;
        Ok(Self::new(BufWriter::new(f), fps))
    }
}

impl<W: Write> Y4mWriter<W> {
    /// Writes to `out`; the header is written with the first frame.
    pub fn new(out: W, fps: u32) -> Self {
        Self { out, size: None, fps: fps.max(1) }
    }

    /// Appends a picture. Every picture must have the first one's size.
    pub fn write(&mut self, frame: &VideoFrame) -> Result<(), MediaError> {
        let size = (frame.width(), frame.height());
        match self.size {
            None => {
                writeln!(self.out, "{MAGIC} W{} H{} F{}:1 Ip A1:1 C420jpeg", size.0, size.1, self.fps)
                    .map_err(|e| MediaError::io("y4m", e))?;
                self.size = Some(size);
            }
            Some(s) if s != size => {
                return Err(MediaError::invalid(
                    "Y4M frame",
                    format!("{}x{} in a {}x{} file", size.0, size.1, s.0, s.1),
                ));
            }
            Some(_) => {}
        }
        self.out
            .write_all(b"FRAME\n")
            .and_then(|_| self.out.write_all(frame.data()))
            .map_err(|e| MediaError::io("y4m", e))
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> Result<W, MediaError> {
        self.out.flush().map_err(|e| MediaError::io("y4m", e))?;
        Ok(self.out)
    }
}

/// A Y4M file played as a camera: paced at its frame rate, stamped with the clock, optionally
/// looping.
pub struct Y4mSource {
    path: PathBuf,
    reader: Y4mReader<BufReader<File>>,
    clock: SharedClock,
    looping: bool,
    start_us: Option<u64>,
    seq: u64,
}

impl Y4mSource {
    /// Opens `path`.
    pub fn open(path: &Path, clock: SharedClock, looping: bool) -> Result<Self, MediaError> {
        let reader = Self::reader(path)?;
        Ok(Self { path: path.to_owned(), reader, clock, looping, start_us: None, seq: 0 })
    }

    fn reader(path: &Path) -> Result<Y4mReader<BufReader<File>>, MediaError> {
        let f = File::open(path).map_err(|e| MediaError::io(path, e))?;
        Y4mReader::new(BufReader::new(f))
    }
}

impl Source for Y4mSource {
    type Frame = VideoFrame;

    fn info(&self) -> SourceInfo {
        let h = self.reader.header();
        SourceInfo {
            kind: SourceKind::File,
            name: self.path.display().to_string(),
            format: format!("{}x{} I420 @{}/{}", h.width, h.height, h.fps_num, h.fps_den),
        }
    }

    fn next_frame(&mut self) -> Result<Option<VideoFrame>, MediaError> {
        let mut frame = match self.reader.read_frame()? {
            Some(f) => f,
            None if self.looping && self.reader.seq > 0 => {
                self.reader = Self::reader(&self.path)?;
                match self.reader.read_frame()? {
                    Some(f) => f,
                    None => return Ok(None),
                }
            }
            None => return Ok(None),
        };
        let h = self.reader.header();
        let start = *self.start_us.get_or_insert_with(|| self.clock.now_us());
        self.clock.sleep_until_us(start + self.seq * 1_000_000 * u64::from(h.fps_den) / u64::from(h.fps_num));
        frame.capture_us = self.clock.now_us();
        frame.seq = self.seq;
        self.seq += 1;
        Ok(Some(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_file(frames: usize) -> Vec<u8> {
        let mut w = Y4mWriter::new(Vec::new(), 25);
        for i in 0..frames {
            w.write(&VideoFrame::filled(32, 16, 20 + i as u8).unwrap()).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn written_files_read_back() {
        let bytes = sample_file(3);
        let mut r = Y4mReader::new(&bytes[..]).unwrap();
        assert_eq!(r.header(), Y4mHeader { width: 32, height: 16, fps_num: 25, fps_den: 1 });
        for i in 0..3 {
            let f = r.read_frame().unwrap().unwrap();
            assert_eq!(f.y()[0], 20 + i);
            assert_eq!(f.seq, u64::from(i));
        }
        assert!(r.read_frame().unwrap().is_none());
    }

    #[test]
    fn truncated_files_are_clear_errors() {
        let bytes = sample_file(2);
        for cut in [0, 5, 20, 40, 60, bytes.len() - 1] {
            let result = Y4mReader::new(&bytes[..cut]).and_then(|mut r| {
                while r.read_frame()?.is_some() {}
                Ok(())
            });
            let err = result.expect_err(&format!("cut at {cut}"));
            assert!(matches!(err, MediaError::Corrupt { .. } | MediaError::InvalidConfig { .. }), "{cut}: {err}");
        }
    }

    #[test]
    fn hostile_headers_are_refused() {
        for h in [
            &b"YUV4MPEG2 W0 H0 F30:1\n"[..],
            b"YUV4MPEG2 W100000 H1 F30:1\n",
            b"YUV4MPEG2 W64 H64 F30:0\n",
            b"YUV4MPEG2 W64 H64 C444\n",
            b"YUV4MPEG2 W64\n",
            b"RIFF....\n",
            b"YUV4MPEG2 W64 H64 Ft\n",
        ] {
            assert!(Y4mReader::new(h).is_err(), "{}", String::from_utf8_lossy(h));
        }
        // A parameter that starts with a character of more than one byte (found by the y4m_read
        // fuzz target; it panicked before).
        let hostile = b"YUV4MPEG2   EG2 HHH  HHHH\x000G4!   HH \xdd\xaaV4MPEG2 `(    \n";
        assert!(Y4mReader::new(&hostile[..]).is_err());
        assert!(Y4mReader::new("YUV4MPEG2 W64 H48 \u{e9}x\n".as_bytes()).is_ok(), "an unknown tag is skipped");
        let long = [b"YUV4MPEG2 ".as_slice(), &vec![b'X'; 5000]].concat();
        assert!(Y4mReader::new(&long[..]).is_err());
    }
}
