# error at line 5: implementation on a daemon that is not rip
lab "x" {}
jail "a" {
  daemon "sshd" {
    implementation = "bird"
  }
}
