import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import {
  ArticleToolParams, Assessment, AssessmentBody, AssessmentList, AtnCriteria, AtnCriteriaSet, AtnScoreDetail, AtnScorePage, AtnScoresQuery,
  CompareQuery, Comparison, FigureQuery, LlmRobBody, LlmRobRunsQuery, OutcomeQuery, RobTable, TableQuery, ToolParams
} from '../../../src/http/schemas/appraisal.ts'
import { ArticleParams, FileResponse, ProjectParams } from '../../../src/http/schemas/common.ts'
import { Task } from '../../../src/http/schemas/tasks.ts'
import { projectCaller } from '../../../src/http/project-scope.ts'
import {
  assessmentHistory, compareReviewers, getAtnCriteria, getAtnScore, getMine, listAssessments, listAtnScores, putAtnCriteria, robFigure,
  robTable, robTableCsv, robTableXlsx, saveConsensus, saveMine
} from '../../../src/services/appraisal.ts'
import { listLlmRobRuns, queueLlmRob } from '../../../src/services/appraisal-llm.ts'
import { queueAtnScore } from '../../../src/services/project-tasks.ts'

const HistoryList = Type.Array(Type.Object({
  assessmentId: Type.String({ format: 'uuid' }), outcome: Type.String(), kind: Type.String(), userId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  state: Type.Record(Type.String(), Type.Unknown()), createdAt: Type.String({ format: 'date-time' })
}))

const appraisalRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify
  const tags = ['risk of bias']

  fastify.get('/articles/:articleId/rob/:tool/mine', {
    schema: { tags, summary: 'The caller\'s assessment of an article (and outcome) with a tool', params: ArticleToolParams, querystring: OutcomeQuery, response: { 200: Assessment } }
  }, async (request) => getMine(db, projectCaller(request), request.params.articleId, request.params.tool, request.query.outcome))

  fastify.put('/articles/:articleId/rob/:tool/mine', {
    config: { role: 'reviewer' },
    schema: {
      tags, summary: 'Save the caller\'s assessment (draft or complete): answers validated against the tool, judgements derived by its algorithm',
      params: ArticleToolParams, body: AssessmentBody, response: { 200: Assessment }
    }
  }, async (request) => saveMine(db, projectCaller(request), request.params.articleId, request.params.tool, request.body))

  fastify.get('/articles/:articleId/rob/:tool', {
    schema: { tags, summary: 'An article\'s assessments with a tool: consensus, then reviewers (in blind mode, reviewers see only their own)', params: ArticleToolParams, response: { 200: AssessmentList } }
  }, async (request) => listAssessments(db, projectCaller(request), request.params.articleId, request.params.tool))

  fastify.get('/articles/:articleId/rob/:tool/history', {
    schema: { tags, summary: 'Every saved state of the article\'s assessments, newest first', params: ArticleToolParams, response: { 200: HistoryList } }
  }, async (request) => assessmentHistory(db, projectCaller(request), request.params.articleId, request.params.tool))

  fastify.get('/articles/:articleId/rob/:tool/compare', {
    schema: { tags, summary: 'Two reviewers\' complete assessments compared: questions, domains, overall, conflicts, agreement', params: ArticleToolParams, querystring: CompareQuery, response: { 200: Comparison } }
  }, async (request) => compareReviewers(db, projectCaller(request), request.params.articleId, request.params.tool, request.query))

  fastify.put('/articles/:articleId/rob/:tool/consensus', {
    config: { role: 'reviewer' },
    schema: { tags, summary: 'Record the consensus assessment (complete; owners and resolvers in blind mode)', params: ArticleToolParams, body: AssessmentBody, response: { 200: Assessment } }
  }, async (request) => saveConsensus(db, projectCaller(request), request.params.articleId, request.params.tool, request.body))

  fastify.get('/rob/:tool/table', {
    schema: {
      tags, summary: 'The risk-of-bias table: one row per article (and outcome), domain and overall judgements, consensus where present; JSON, CSV or XLSX',
      params: ToolParams, querystring: TableQuery,
      response: { 200: { ...RobTable, ...FileResponse('text/csv', 'format=csv') } }
    }
  }, async (request, reply) => {
    const { tool, rows } = await robTable(db, projectCaller(request), request.params.tool, request.query.reviewer)
    const table = rows.map(({ data: _data, ...row }) => row)
    if (request.query.format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="rob-${tool.id}.csv"`).send(robTableCsv(tool, table))
    if (request.query.format === 'xlsx') {
      return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').header('content-disposition', `attachment; filename="rob-${tool.id}.xlsx"`).send(await robTableXlsx(tool, table))
    }
    return { tool: tool.id, domains: tool.domains.map((d) => ({ id: d.id, name: d.name })), rows: table }
  })

  fastify.post('/rob/:tool/llm-runs', {
    config: { role: 'reviewer' },
    schema: {
      tags, summary: 'LLM-assisted assessment (background task "llm-rob"): the model answers the signalling questions with verified quotes, the tool\'s algorithm derives the judgements; stored under the model\'s own reviewer',
      params: ToolParams, body: LlmRobBody, response: { 202: Task }
    }
  }, async (request, reply) => reply.status(202).send(await queueLlmRob(fastify, request.project.id, request.user.id, request.params.tool, request.body)))

  fastify.get('/rob/llm-runs', {
    schema: { tags, summary: 'The project\'s LLM risk-of-bias runs, newest first: status, progress, result (model, digest, prompt version, options, per-article outcomes)', params: ProjectParams, querystring: LlmRobRunsQuery, response: { 200: Type.Array(Task) } }
  }, async (request) => listLlmRobRuns(db, request.project.id, request.query.tool))

  for (const kind of ['traffic-light', 'summary'] as const) {
    fastify.get(`/rob/:tool/${kind}.svg`, {
      schema: {
        tags, summary: kind === 'summary' ? 'robvis summary bar plot (SVG), optionally weighted by a numeric field of the records' : 'robvis traffic-light plot (SVG): studies × domains',
        params: ToolParams, querystring: FigureQuery, response: { 200: FileResponse('image/svg+xml', 'the figure') }
      }
    }, async (request, reply) => reply.type('image/svg+xml; charset=utf-8').send(await robFigure(db, projectCaller(request), request.params.tool, kind, request.query)))
  }

  fastify.get('/atn/criteria', {
    schema: { tags: ['ATN score'], summary: 'The project\'s ATN criteria set (the seeded ATN v2.2 until the project sets its own)', params: ProjectParams, response: { 200: AtnCriteria } }
  }, async (request) => getAtnCriteria(db, request.project.id))

  fastify.put('/atn/criteria', {
    config: { role: 'owner' },
    schema: { tags: ['ATN score'], summary: 'Set the project\'s ATN criteria set', params: ProjectParams, body: AtnCriteriaSet, response: { 200: AtnCriteria } }
  }, async (request) => putAtnCriteria(db, request.project.id, request.body))

  fastify.post('/atn/score', {
    config: { role: 'reviewer' },
    schema: { tags: ['ATN score'], summary: 'Score every article with the project\'s ATN criteria set (background task)', params: ProjectParams, response: { 202: Task } }
  }, async (request, reply) => reply.status(202).send(await queueAtnScore(fastify, request.project.id, request.user.id)))

  fastify.get('/atn/scores', {
    schema: { tags: ['ATN score'], summary: 'ATN scores, sorted and filtered, with statistics (count per category, mean, quartiles) of the filtered scores', params: ProjectParams, querystring: AtnScoresQuery, response: { 200: AtnScorePage } }
  }, async (request) => listAtnScores(db, request.project.id, request.query))

  fastify.get('/atn/scores/:articleId', {
    schema: { tags: ['ATN score'], summary: 'An article\'s ATN score with its justification (terms found per criterion, points, bonuses)', params: ArticleParams, response: { 200: AtnScoreDetail } }
  }, async (request) => getAtnScore(db, request.project.id, request.params.articleId))
}

export default appraisalRoutes
