//! The receive path of [`WebSocket`]: fill the read buffer, parse and check each frame
//! header before its payload is read (RFC 6455 §5.2), unmask and assemble messages, answer
//! control frames, and give the buffers back when the socket goes idle.

use super::*;

impl<IO: AsyncRead + AsyncWrite + Unpin> WebSocket<IO> {
    pub(super) fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        // once per poll, not per frame (a close it queues goes out with the `auto_flush`
        // below); the task registers for the signal only when the read must wait
        self.going_away();
        loop {
            match self.state {
                State::Done => return Poll::Ready(None),
                State::Draining => return self.poll_drain(cx),
                State::Finishing => {
                    if self.timer_expired(cx) {
                        // the peer does not even read our close: give up on it
                        self.state = State::Done;
                        return Poll::Ready(self.pending.take());
                    }
                    let written = ready!(self.poll_write_out(cx));
                    let _ = ready!(Pin::new(&mut self.io).poll_flush(cx));
                    self.state = if written.is_ok() { State::Draining } else { State::Done };
                    self.arm_timer();
                    return Poll::Ready(self.pending.take());
                }
                State::Open => {}
            }
            if self.auto_flush {
                // a pong or keep-alive ping (with whatever the user queued before it);
                // pending is fine: the waker is set
                if let Err(e) = self.write_queued(cx) {
                    self.state = State::Done;
                    return Poll::Ready(Some(Err(e.into())));
                }
            }
            if self.close_sent && self.timer_expired(cx) {
                self.state = State::Done;
                return Poll::Ready(None);
            }
            if self.ping.as_mut().is_some_and(|p| p.poll_tick(cx).is_ready()) && !self.close_sent {
                self.queue_frame(true, false, OP_PING, b"");
                self.auto_flush = true;
                continue;
            }
            // the whole length of a frame whose start is buffered and whose rest must be read
            let incomplete = match Header::decode(&self.rbuf) {
                Err(e) => {
                    self.fail(e);
                    continue;
                }
                Ok(Some((h, header_len))) => {
                    if let Err(e) = self.reader.check_header(&h) {
                        self.fail(e);
                        continue;
                    }
                    let total = header_len + h.len as usize;
                    if self.rbuf.len() >= total {
                        if let Some(item) = self.take_frame(&h, header_len) {
                            if self.auto_flush {
                                // send the pong now, even if the caller stops receiving
                                if let Poll::Ready(Ok(())) = self.poll_write_out(cx) {
                                    self.auto_flush = false;
                                    let _ = Pin::new(&mut self.io).poll_flush(cx);
                                }
                            }
                            return Poll::Ready(Some(item));
                        }
                        continue;
                    }
                    if let Err(e) = self.precheck_text(&h, header_len) {
                        self.fail(e);
                        continue;
                    }
                    Some(total)
                }
                Ok(None) => None,
            };
            if self.unsent() > 0 {
                // what `feed` queued goes out before the socket reads (and maybe waits)
                // again: the echoes of one read leave in one write
                if let Err(e) = self.write_queued(cx) {
                    self.state = State::Done;
                    return Poll::Ready(Some(Err(e.into())));
                }
            }
            if let Some(total) = incomplete {
                // room for the whole frame and the start of the next: a busy peer's next
                // header arrives with this frame's rest (one read per frame). Reserved
                // after the write above: an echoed payload written out no longer shares
                // the buffer's allocation, so the buffer is reused in place (only the next
                // frame's first bytes move) instead of a fresh allocation per large frame
                self.rbuf.reserve(total - self.rbuf.len() + COLD_READ);
                self.small_cap = 0;
            }
            let filled = self.poll_fill(cx);
            if filled.is_pending() {
                self.watch_going_away(cx);
            }
            match ready!(filled) {
                Ok(0) => {
                    self.state = State::Done;
                    return Poll::Ready((!self.close_sent).then_some(Err(Error::AbnormalClosure)));
                }
                Ok(_) => {}
                Err(e) => {
                    self.state = State::Done;
                    return Poll::Ready(Some(Err(e.into())));
                }
            }
        }
    }

    /// Writes out what is queued as far as the connection takes it now (a write that
    /// would wait leaves the waker set); fails only if the write failed.
    fn write_queued(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if let Poll::Ready(r) = self.poll_write_out(cx) {
            r?;
            self.auto_flush = false;
            let _ = Pin::new(&mut self.io).poll_flush(cx);
        }
        Ok(())
    }

    /// Reads more bytes into the read buffer. Cold (nothing buffered): into the kept small
    /// buffer when there is one (no copy), else through a stack buffer, keeping only what
    /// came (in a small buffer with room to spare when it is small). Hot: straight into the
    /// buffer, kept at least 1 KiB free. A read that must wait with nothing buffered
    /// releases the buffers.
    pub(super) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.rbuf.is_empty() && self.small_cap > 0 && self.rbuf.try_reclaim(self.small_cap) {
            // the small buffer, its whole capacity free again (the payloads split off
            // before are gone): a read shorter than it also tells tokio the socket is
            // drained, so the next read waits without a system call
            let r = tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.rbuf);
            match &r {
                Poll::Pending => self.release_buffers(),
                // full: a busy peer, the next fill gets the full-size buffer
                Poll::Ready(Ok(n)) if *n >= self.small_cap => self.small_cap = 0,
                Poll::Ready(_) => {}
            }
            return r;
        }
        if self.rbuf.is_empty() && (self.rbuf.capacity() == 0 || self.small_cap > 0) {
            let mut stack = [const { std::mem::MaybeUninit::<u8>::uninit() }; COLD_READ];
            let mut read = tokio::io::ReadBuf::uninit(&mut stack);
            if let Poll::Ready(r) = Pin::new(&mut self.io).poll_read(cx, &mut read) {
                r?;
            } else {
                self.release_buffers(); // the write buffers may still be held
                return Poll::Pending;
            }
            let got = read.filled();
            if got.is_empty() {
                return Poll::Ready(Ok(0));
            }
            // room for the next message of about this size to arrive short of full
            let small = (got.len() + got.len() / 2 + 64).next_multiple_of(64);
            let cap = if got.len() == COLD_READ {
                self.config.read_buffer_size.max(2 * COLD_READ)
            } else if small <= KEEP_IDLE {
                small
            } else {
                got.len()
            };
            self.rbuf = BytesMut::with_capacity(cap);
            self.small_cap = if cap <= KEEP_IDLE { cap } else { 0 };
            self.rbuf.extend_from_slice(got);
            return Poll::Ready(Ok(got.len()));
        }
        if self.rbuf.capacity() - self.rbuf.len() < 1024 {
            self.rbuf.reserve(self.config.read_buffer_size.max(4096));
            self.small_cap = 0;
        }
        let r = tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.rbuf);
        if r.is_pending() && self.rbuf.is_empty() {
            self.release_buffers();
        }
        r
    }

    /// Frees the read buffer (it must be empty) and, when nothing waits to be written, the
    /// write buffers, except buffers of at most [`KEEP_IDLE`] bytes: an idle socket costs
    /// its struct and at most two small buffers.
    pub(super) fn release_buffers(&mut self) {
        if self.small_cap == 0 {
            self.rbuf = BytesMut::new();
        }
        if self.unsent() == 0 {
            if self.wbuf.capacity() > KEEP_IDLE {
                self.wbuf = Vec::new();
            }
            self.wbuf.clear();
            self.wpos = 0;
            self.tail = Bytes::new();
            self.scratch = Vec::new();
        }
    }

    /// Unmasks and validates the part of a text frame that has arrived, so invalid UTF-8
    /// fails fast instead of after the whole frame.
    pub(super) fn precheck_text(&mut self, h: &Header, header_len: usize) -> Result<(), ProtocolError> {
        let arrived = self.rbuf.len() - header_len;
        if arrived <= self.checked {
            return Ok(());
        }
        if self.checked == 0 {
            self.precheck = self.reader.text_frame_validator(h);
        }
        let Some(v) = self.precheck.as_mut() else { return Ok(()) };
        let new = &mut self.rbuf[header_len + self.checked..];
        if let Some(key) = h.mask {
            apply_mask_at(new, key, self.checked);
        }
        let result = v.feed(new).map_err(|_| ProtocolError::InvalidUtf8);
        self.checked = arrived;
        result
    }

    /// Splits one whole frame off the read buffer and handles it; returns an item to yield.
    pub(super) fn take_frame(&mut self, h: &Header, header_len: usize) -> Option<Result<Message, Error>> {
        self.rbuf.advance(header_len);
        let mut payload = self.rbuf.split_to(h.len as usize);
        if self.rbuf.is_empty() && payload.len() > 4 * self.config.read_buffer_size {
            // the read buffer grew for a large frame: let that allocation go with the payload
            self.rbuf = BytesMut::new();
        }
        if let Some(key) = h.mask {
            apply_mask_at(&mut payload[self.checked..], key, self.checked);
        }
        self.checked = 0;
        self.precheck = None;
        match self.reader.on_frame(h, payload) {
            Err(e) => {
                self.fail(e);
                None
            }
            Ok(None) => None,
            Ok(Some(Message::Ping(p))) => {
                // a peer that pings without reading cannot grow our output: past the write
                // buffer bound, pings go unanswered (only the latest needs a pong, §5.5.3)
                if !self.close_sent && self.unsent() < self.config.write_buffer_size {
                    self.queue_frame(true, false, OP_PONG, &p);
                    self.auto_flush = true;
                }
                Some(Ok(Message::Ping(p)))
            }
            Ok(Some(Message::Close(f))) => {
                if self.close_sent {
                    // the answer to our close: the handshake is complete
                    self.state = State::Draining;
                    self.arm_timer();
                    Some(Ok(Message::Close(f)))
                } else {
                    // echo the peer's code (none if it sent none), then report the close
                    let echo = f.as_ref().map(|f| CloseFrame::new(f.code, ""));
                    self.queue_close(echo.as_ref());
                    self.state = State::Finishing;
                    self.pending = Some(Ok(Message::Close(f)));
                    None
                }
            }
            Ok(Some(m)) => Some(Ok(m)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends `count` binary messages of `size` bytes in one write, then echoes them one by
    /// one (the echo fed, written before the next read) and returns the address each
    /// received payload started at.
    async fn echo_addresses(size: usize, count: usize, keep: bool) -> Vec<usize> {
        let (a, b) = tokio::io::duplex(4 << 20);
        let mut server = WebSocket::from_upgraded(a, Role::Server, Config::default());
        let mut client = WebSocket::from_upgraded(b, Role::Client, Config::default());
        for i in 0..count {
            client.feed(Message::binary(vec![i as u8; size])).await.unwrap();
        }
        client.flush().await.unwrap();
        let (mut addresses, mut kept) = (Vec::new(), Vec::new());
        for i in 0..count {
            let m = server.recv().await.unwrap().unwrap();
            assert_eq!(m.as_payload(), &vec![i as u8; size][..], "{size} x {count}, message {i}");
            addresses.push(m.as_payload().as_ptr() as usize);
            if keep {
                kept.push(m.clone());
            }
            server.feed(m).await.unwrap();
        }
        server.flush().await.unwrap();
        for i in 0..count {
            assert_eq!(client.recv().await.unwrap().unwrap().as_payload(), &vec![i as u8; size][..]);
        }
        // a kept payload is never overwritten by the frames read after it
        for (i, m) in kept.iter().enumerate() {
            assert_eq!(m.as_payload(), &vec![i as u8; size][..], "{size} x {count}, kept message {i}");
        }
        addresses
    }

    #[tokio::test]
    async fn echoed_large_frames_are_read_into_the_same_allocation() {
        // (payload bytes: below and above the uncopied-write size, up to the largest frame
        // the read buffer keeps)
        for size in [ZERO_COPY / 2, ZERO_COPY, 64 << 10] {
            let addresses = echo_addresses(size, 4, false).await;
            // the first frame reads through the stack and a growing buffer; each later one
            // starts where the one before it started, its buffer reused in place
            assert!(addresses[1..].iter().all(|&a| a == addresses[1]), "{size}: {addresses:?}");
        }
    }

    #[tokio::test]
    async fn a_payload_the_application_keeps_gets_its_own_allocation() {
        for size in [ZERO_COPY, 64 << 10] {
            let addresses = echo_addresses(size, 4, true).await;
            let mut distinct = addresses.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), addresses.len(), "{size}: {addresses:?}");
        }
    }
}
