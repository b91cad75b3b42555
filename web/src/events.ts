/**
 * The project's live events over the WebSocket (`/api/ws`, authenticated by
 * the session cookie). A lost connection reconnects with backoff, subscribes
 * again and resyncs: every query of the project is refetched, since events
 * sent while disconnected are gone.
 */
import { useEffect, useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import type { Task } from './api/types'

export interface ProjectEvent { type: string; projectId?: string; task?: Task; taskId?: string; [key: string]: unknown }

export function useProjectEvents(projectId: string, onEvent?: (event: ProjectEvent) => void): { connected: boolean } {
  const queryClient = useQueryClient()
  const [connected, setConnected] = useState(false)
  useEffect(() => {
    let socket: WebSocket | undefined
    let stopped = false
    let attempt = 0
    let timer: ReturnType<typeof setTimeout> | undefined
    const connect = () => {
      const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`
      socket = new WebSocket(url)
      socket.onopen = () => {
        const first = attempt === 0
        attempt = 0
        socket?.send(JSON.stringify({ type: 'subscribe', projectId }))
        setConnected(true)
        if (!first) void queryClient.invalidateQueries({ queryKey: ['project', projectId] })
      }
      socket.onmessage = (message) => {
        let event: ProjectEvent
        try { event = JSON.parse(String(message.data)) as ProjectEvent } catch { return }
        if (event.type.startsWith('task.') || event.type === 'articles.imported') {
          void queryClient.invalidateQueries({ queryKey: ['project', projectId, 'tasks'] })
          if (event.type !== 'task.progress') void queryClient.invalidateQueries({ queryKey: ['project', projectId] })
        }
        onEvent?.(event)
      }
      socket.onclose = () => {
        setConnected(false)
        if (stopped) return
        attempt++
        timer = setTimeout(connect, Math.min(30000, 500 * 2 ** Math.min(attempt, 6)))
      }
    }
    connect()
    return () => {
      stopped = true
      clearTimeout(timer)
      socket?.close()
    }
  }, [projectId, queryClient])
  return { connected }
}
