// Package localfile opens the files an operator names on the command line (snapshots, baselines
// and their signatures, evidence archives, keys, password files). They sit on the examining
// machine, but many were made on the suspect host or copied off it, and a mistyped or planted
// name can be a device, a FIFO or a link to one: /dev/zero read whole fills the memory, a FIFO
// blocks forever, /dev/watchdog reboots the machine when opened.
//
// So every input is looked at (lstat) before it is opened, opened with O_NOFOLLOW|O_NONBLOCK,
// checked again on the open descriptor to be the same regular file, and read with a stated cap.
// Anything else is refused with a one-line error that names the file and what it is.
package localfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// ErrNotRegular is wrapped by the error for a path that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by the error of ReadFile for a file over its cap.
var ErrTooLarge = errors.New("larger than expected")

// kind names what a mode is, for messages.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a folder"
	}
	return "not a regular file"
}

// refuse builds the one-line error for a path that is not a regular file.
func refuse(path, what string, m fs.FileMode) error {
	msg := fmt.Sprintf("%s is %s, not a regular file", path, kind(m))
	if m&fs.ModeSymlink != 0 {
		if t, err := os.Readlink(path); err == nil {
			msg += fmt.Sprintf(" (it points to %s; nowwhat never follows a link given as input: give the file itself)", t)
		}
	}
	if what != "" {
		msg += ": give " + what
	}
	return refusal(msg)
}

// refusal is an error that is ErrNotRegular without repeating it in its text.
type refusal string

func (r refusal) Error() string        { return string(r) }
func (r refusal) Is(target error) bool { return target == ErrNotRegular }

// Open opens the regular file at path for reading; what ("a snapshot file", ...) completes the
// error when path is anything else. The file was checked on its open descriptor: what is read is
// the regular file that was checked.
func Open(path, what string) (*os.File, os.FileInfo, error) {
	lst, err := os.Lstat(path)
	if err != nil {
		return nil, nil, err
	}
	if !lst.Mode().IsRegular() {
		return nil, nil, refuse(path, what, lst.Mode())
	}
	fd, err := openNoFollow(path)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, nil, refuse(path, what, fs.ModeSymlink)
		}
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, refuse(path, what, st.Mode())
	}
	if !os.SameFile(lst, st) {
		f.Close()
		return nil, nil, fmt.Errorf("%s was replaced while it was opened: try again, and find out what else writes there", path)
	}
	// Reads of a regular file never block; clear the flag anyway so the descriptor behaves as
	// an ordinary one for whoever reads it.
	if err := unix.SetNonblock(fd, false); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

func openNoFollow(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		return fd, err
	}
}

// ReadFile reads a whole regular file of at most max bytes; a larger one is an error that names
// the file, and nothing past max+1 bytes is read.
func ReadFile(path, what string, max int64) ([]byte, error) {
	f, _, err := Open(path, what)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > max {
		msg := fmt.Sprintf("%s is larger than %d bytes", path, max)
		if what != "" {
			msg += ": give " + what
		}
		return nil, fmt.Errorf("%s: %w", msg, ErrTooLarge)
	}
	return data, nil
}

// Stream is standard input or an opened regular file, for commands that take "-".
func Stream(path, what string) (io.ReadCloser, string, error) {
	if path == "-" {
		return io.NopCloser(os.Stdin), "standard input", nil
	}
	f, _, err := Open(path, what)
	if err != nil {
		return nil, path, err
	}
	return f, path, nil
}
