-- Reserved for the article ids' migration (issue 21, another branch): that branch's 0013 takes
-- this number; this placeholder, which changes nothing, goes when the two are merged.
SELECT 1;
