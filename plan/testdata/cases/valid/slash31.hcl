# A /31 link uses both of its addresses (RFC 3021).
lab "p2p31" {}

jail "a" {}
jail "b" {}

link "a-b" {
  between = ["a", "b"]
  subnet  = "192.168.7.6/31"
}
