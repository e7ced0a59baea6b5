META
key;value
description;Example election (equalshares.net, "How to compute the results?")
country;Nowhere
num_projects;3
num_votes;4
budget;100000
vote_type;approval
PROJECTS
project_id;name;cost
1;Project 1;5000
2;Project 2;10000
3;Project 3;85000
VOTES
voter_id;vote
1;1,2
2;1
3;3
4;1,2,3
