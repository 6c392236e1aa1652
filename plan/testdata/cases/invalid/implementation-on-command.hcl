# error at line 6: implementation on a command daemon
lab "x" {}
jail "a" {
  daemon "rip" {
    command        = ["/usr/local/sbin/ripd"]
    implementation = "bird"
  }
}
