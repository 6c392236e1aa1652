package plan

import "slices"

// SameChanges reports whether two lists of changes do the same thing to
// the same resources as found: the same addresses, actions, reasons and
// attribute changes, and each change's live resource (Before) and desired
// one (After) alike in every attribute a plan shows and in why it is
// broken. Provider identifiers (pids, interface indexes) do not count.
// apply uses it to refuse a saved plan when the live lab moved since: a
// destroy plan has no attribute changes, so only Before shows that a
// link was set down by hand.
func SameChanges(a, b []Change) bool {
	return slices.EqualFunc(a, b, func(x, y Change) bool {
		return x.Addr == y.Addr && x.Action == y.Action && x.Reason == y.Reason && x.RoutesAgain == y.RoutesAgain &&
			slices.Equal(x.Attrs, y.Attrs) &&
			sameResource(x.Before, y.Before) && sameResource(x.After, y.After)
	})
}

// sameResource reports whether a and b hold the same kind of resource
// with the same attributes and the same Broken, or are both nil.
func sameResource(a, b *Resource) bool {
	if a == nil || b == nil {
		return a == b
	}
	kind := func(r *Resource) (string, string) {
		switch {
		case r.Jail != nil:
			return TypeJail, r.Jail.Broken
		case r.Link != nil:
			return TypeLink, r.Link.Broken
		case r.Daemon != nil:
			return TypeDaemon, r.Daemon.Broken
		}
		return "", ""
	}
	typA, brokenA := kind(a)
	typB, brokenB := kind(b)
	return typA == typB && brokenA == brokenB && len(diffAttrs(resourceAttrs(a), resourceAttrs(b))) == 0
}
