-- Reserved for independent postings (issue 11): filled in on its branch.
SELECT 1;
