package main

import (
	"io"

	"github.com/netlab/netlab/plan"
)

// secrets are the values that netlab must not print for people: those of
// the lab file's sensitive variables and of the lab attributes computed
// from them. The zero value hides nothing.
type secrets struct {
	lab *plan.Lab
	src *plan.Source
}

// redact returns text with the secret values replaced: the lab's
// attribute values first, which can hold a variable's value within them.
func (s secrets) redact(text string) string {
	return s.src.Redact(s.lab.Redact(text))
}

// redactErr returns err with the secret values taken out of its message;
// errors.Is and errors.As still see err's chain.
func (s secrets) redactErr(err error) error {
	if err == nil {
		return nil
	}
	if msg := s.redact(err.Error()); msg != err.Error() {
		return &rewordedError{msg: msg, err: err}
	}
	return err
}

// redactWriter writes to w what it is given with the app's secrets taken
// out. It suits writers that receive whole lines, as loggers write them.
type redactWriter struct {
	a *app
	w io.Writer
}

func (r redactWriter) Write(p []byte) (int, error) {
	text := r.a.secrets.redact(string(p))
	if text == string(p) {
		return r.w.Write(p)
	}
	if _, err := io.WriteString(r.w, text); err != nil {
		return 0, err
	}
	return len(p), nil
}
