Feature: A school's designated safeguarding lead checks what colleagues say the rules are
  As a designated safeguarding lead (DSL)
  I want to check a claim I hear in the staffroom or read in a policy against Keeping children safe in
  education and Working Together
  So that I can tell a legal duty from statutory guidance, from advice, from something it never says

  Background:
    Given the bundled guidance has been indexed

  Scenario: A legal duty on schools is confirmed with its Act
    When I check "Governing bodies must have regard to Keeping children safe in education"
    Then the verdict is "statutory" with force "must"
    And the legal basis names "Education Act 2002"
    And the first piece of evidence is "kcsie-have-regard" with its citation

  Scenario: Referring at once is statutory guidance, not a legal duty
    When I check "If a pupil is at risk of significant harm, we should refer to children's social care straight away"
    Then the verdict is "statutory" with force "should"
    And the explanation says "follow it unless there is good reason not to"

  Scenario: A timescale a colleague misremembers
    When I check "Children's social care only has to acknowledge my referral within five working days"
    Then the verdict is "contradicts"
    And the explanation says "1 working day from the referral, not 5 working days"

  Scenario: Schools are not a safeguarding partner
    When I check "Schools are one of the statutory safeguarding partners"
    Then the verdict is "contradicts"
    And the first piece of evidence is "education-not-statutory-partner" with its citation

  Scenario: Something the guidance does not cover
    When I check "Schools must publish their key stage 2 results on their website"
    Then the verdict is "not_in_guidance"
    And the explanation says "The guidance does not say this"

  Scenario: A claim about someone else's duty, checked for my school
    When I check "We must decide what response a referral needs within one working day" for "schools"
    Then the verdict is "contradicts"
    And the explanation says "Local authority children's social care"

  Scenario: Monday - a colleague thinks DSL training lasts three years
    When I check "Our DSL only needs safeguarding training every three years"
    Then the verdict is "contradicts"
    And the explanation says "2 years"
    And the first piece of evidence is "dsl-training" from "KCSIE 2025, annex C"

  Scenario: Tuesday - the file for a pupil who has left is sent too late
    When I check "The child protection file can be sent to the new school within 20 days of the pupil leaving"
    Then the verdict is "contradicts"
    And the explanation says "5 days"
    And the first piece of evidence is "child-protection-file-transfer" from "KCSIE 2025, annex C"

  Scenario: Wednesday - reporting FGM is a teacher's own legal duty
    When I check "Teachers must report known cases of FGM in girls under 18 to the police"
    Then the verdict is "statutory" with force "must"
    And the legal basis names "Female Genital Mutilation Act 2003"
    And the first piece of evidence is "fgm-mandatory-reporting" from "KCSIE 2025, part 1"

  Scenario: Thursday - filtering and monitoring is statutory guidance, not an Act
    When I check "Schools should have appropriate filtering and monitoring systems and review them regularly"
    Then the verdict is "statutory" with force "should"
    And the legal basis names "Education Act 2002, s.175"
    And the first piece of evidence is "filtering-and-monitoring" from "KCSIE 2025, part 2"

  Scenario: Friday - the governors want to review the child protection policy less often
    When I check "Our child protection policy only needs reviewing every two years"
    Then the verdict is "contradicts"
    And the explanation says "1 year"
    And the first piece of evidence is "child-protection-policy" from "KCSIE 2025, part 2"

  Scenario: A pasted policy that is far too long
    When I check a statement of 600 characters
    Then I am told "the limit is 500"
