"""Finding children: the enrolment register, roster and list imports, register matching
(四查三比对) and absence reports (DESIGN.md "Finding children")."""
